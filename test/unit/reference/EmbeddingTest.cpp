//===- EmbeddingTest.cpp - Tests of the reference embedding ---------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Embedding.h"

#include <gtest/gtest.h>

#include <vector>

namespace dsv2::reference {
namespace {

TEST(EmbeddingTest, GathersRowsWithoutScaling) {
  std::vector<float> table = {0, 1, 10, 11, 20, 21};
  std::vector<int32_t> ids = {2, 0, 2};
  std::vector<float> out(6, -1);
  ASSERT_TRUE(embedding(ids.data(), 3, table.data(), 3, 2, out.data()));
  EXPECT_EQ(out, (std::vector<float>{20, 21, 0, 1, 20, 21}));
}

TEST(EmbeddingTest, RejectsOutOfRangeIdsWithoutWriting) {
  std::vector<float> table = {0, 1, 10, 11};
  std::vector<float> out(4, -1);
  std::vector<int32_t> tooLarge = {0, 2};
  EXPECT_FALSE(embedding(tooLarge.data(), 2, table.data(), 2, 2, out.data()));
  std::vector<int32_t> negative = {-1};
  EXPECT_FALSE(embedding(negative.data(), 1, table.data(), 2, 2, out.data()));
  EXPECT_EQ(out, (std::vector<float>(4, -1)));
}

} // namespace
} // namespace dsv2::reference
