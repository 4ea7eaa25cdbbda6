//===- ProgressBar.cpp - Bytes done, rate and ETA of long work ------------===//

#include "tools/dsv2c/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"

namespace dsv2::tools {

std::string formatBytes(double bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? llvm::formatv("{0} B", static_cast<int64_t>(bytes)).str()
                   : llvm::formatv("{0:f2} {1}", bytes, units[unit]).str();
}

ProgressBar::ProgressBar(std::string label, uint64_t totalBytes,
                         llvm::raw_ostream &os)
    : label(std::move(label)), total(totalBytes), os(os),
      interactive(os.is_displayed()), start(std::chrono::steady_clock::now()),
      lastDraw(start) {}

void ProgressBar::advance(uint64_t bytes) {
  done += bytes;
  auto now = std::chrono::steady_clock::now();
  if (interactive) {
    if (now - lastDraw >= std::chrono::milliseconds(100)) {
      lastDraw = now;
      draw(false);
    }
    return;
  }
  int tenth = total ? static_cast<int>(10 * done / total) : 10;
  if (tenth != lastTenth && tenth < 10) {
    lastTenth = tenth;
    draw(false);
  }
}

void ProgressBar::finish() {
  draw(true);
}

void ProgressBar::draw(bool final) {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double fraction = total ? static_cast<double>(done) / total : 1.0;
  constexpr int kWidth = 24;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  double rate = seconds > 0 ? done / seconds : 0;
  std::string eta =
      final ? llvm::formatv("in {0:f1} s", seconds).str()
      : rate > 0 ? llvm::formatv("ETA {0:f0} s", (total - done) / rate).str()
                 : std::string("ETA -");
  if (interactive)
    os << "\r\x1b[K";
  os << llvm::formatv("{0} [{1}] {2,3}%  {3} / {4}  {5}/s  {6}", label, bar,
                      static_cast<int>(fraction * 100), formatBytes(done),
                      formatBytes(total), formatBytes(rate), eta);
  if (!interactive || final)
    os << "\n";
  os.flush();
}

} // namespace dsv2::tools
