//===- ExpectError.h - Status assertions for runtime tests ------*- C++ -*-===//
//
// One helper: an error of a given code whose message is a single line
// containing given fragments.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_EXPECTERROR_H
#define TEST_UNIT_RUNTIME_EXPECTERROR_H

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace dsv2::runtime::testing {

/// Expects `status` to be an error of `code` whose message is one line and
/// contains every string in `parts`.
inline void expectError(const absl::Status& status, absl::StatusCode code,
                        const std::vector<std::string>& parts) {
  ASSERT_FALSE(status.ok()) << "expected an error containing '"
                            << (parts.empty() ? "" : parts.back()) << "'";
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(status.message().find('\n'), absl::string_view::npos) << status;
  for (const std::string& part : parts) {
    EXPECT_NE(status.message().find(part), absl::string_view::npos)
        << "missing '" << part << "' in: " << status.message();
  }
}

}  // namespace dsv2::runtime::testing

#endif  // TEST_UNIT_RUNTIME_EXPECTERROR_H
