//===- ProgressBar.h - Bytes done, rate and ETA of long work ----*- C++ -*-===//
//
// On a terminal: one line redrawn in place at most ten times a second. In a
// log (not a terminal): a line at every tenth of the work, so CI logs show
// progress without thousands of carriage returns.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_PROGRESSBAR_H
#define TOOLS_DSV2C_PROGRESSBAR_H

#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace dsv2::tools {

/// "1.50 GiB", "312.0 KiB", "17 B".
std::string formatBytes(double bytes);

class ProgressBar {
public:
  ProgressBar(std::string label, uint64_t totalBytes, llvm::raw_ostream &os);
  /// Adds `bytes` done and redraws when due.
  void advance(uint64_t bytes);
  /// Draws the final state and ends the line.
  void finish();

private:
  void draw(bool final);

  std::string label;
  uint64_t total, done = 0;
  llvm::raw_ostream &os;
  bool interactive;
  std::chrono::steady_clock::time_point start, lastDraw;
  int lastTenth = -1;
};

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_PROGRESSBAR_H
