//===- InProcessCollectives.cpp - Ranks of a sharded module as threads ----===//

#include "dialect/dsv2/interpreter/InProcessCollectives.h"

#include <algorithm>

namespace mlir::dsv2 {

/// One collective in progress for a group: who arrived, and the result of
/// the last completed round. A round completes only when every member has
/// arrived, and a member arrives for the next round only after it copied
/// this round's result, so one result buffer suffices.
struct InProcessCollectives::Meeting {
  std::vector<const std::vector<float> *> inputs;
  int64_t arrived = 0;
  uint64_t round = 0;
  std::vector<float> result;
};

class InProcessCollectives::Rank : public ReferenceCollectives {
public:
  Rank(InProcessCollectives &all, int64_t rank) : all(all), rank(rank) {}

  llvm::Error allReduceSum(std::vector<float> &values,
                           CollectiveGroup group) override {
    return all.meet(
        rank, group, values,
        [](const std::vector<const std::vector<float> *> &inputs,
           std::vector<float> &sum) {
          sum.assign(inputs.front()->size(), 0.0f);
          for (const std::vector<float> *input : inputs)
            for (size_t i = 0; i < sum.size(); ++i)
              sum[i] += (*input)[i];
        },
        values);
  }

  llvm::Error allGatherColumns(const std::vector<float> &local, int64_t rows,
                               int64_t columns, CollectiveGroup group,
                               std::vector<float> &gathered) override {
    return all.meet(
        rank, group, local,
        [rows, columns](const std::vector<const std::vector<float> *> &inputs,
                        std::vector<float> &out) {
          int64_t parts = static_cast<int64_t>(inputs.size());
          out.assign(rows * columns * parts, 0.0f);
          for (int64_t g = 0; g < parts; ++g)
            for (int64_t r = 0; r < rows; ++r)
              std::copy_n(inputs[g]->data() + r * columns, columns,
                          out.data() + (r * parts + g) * columns);
        },
        gathered);
  }

private:
  InProcessCollectives &all;
  int64_t rank;
};

InProcessCollectives::InProcessCollectives(int64_t tp, int64_t ep)
    : tp(tp), ep(ep) {
  for (int64_t g = 0; g <= ep; ++g)
    meetings.push_back(std::make_unique<Meeting>());
  for (int64_t r = 0; r < tp * ep; ++r)
    ranks.push_back(std::make_unique<Rank>(*this, r));
}

InProcessCollectives::~InProcessCollectives() = default;

ReferenceCollectives &InProcessCollectives::forRank(int64_t rank) {
  return *ranks[rank];
}

void InProcessCollectives::abort(const std::string &reason) {
  std::lock_guard<std::mutex> lock(mutex);
  if (abortReason.empty())
    abortReason = reason;
  changed.notify_all();
}

llvm::Error InProcessCollectives::meet(
    int64_t rank, CollectiveGroup group, const std::vector<float> &input,
    const std::function<void(const std::vector<const std::vector<float> *> &,
                             std::vector<float> &)> &combine,
    std::vector<float> &output) {
  bool world = group == CollectiveGroup::world;
  Meeting &meeting = *meetings[world ? ep : rank / tp];
  int64_t members = world ? tp * ep : tp;
  int64_t position = world ? rank : rank % tp;

  std::unique_lock<std::mutex> lock(mutex);
  auto failed = [&] {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "rank " + std::to_string(rank) +
                                       ": collective abandoned: " +
                                       abortReason);
  };
  if (!abortReason.empty())
    return failed();
  if (meeting.inputs.size() != static_cast<size_t>(members))
    meeting.inputs.assign(members, nullptr);
  uint64_t round = meeting.round;
  meeting.inputs[position] = &input;
  if (++meeting.arrived == members) {
    combine(meeting.inputs, meeting.result);
    meeting.arrived = 0;
    ++meeting.round;
    changed.notify_all();
  } else {
    changed.wait(lock, [&] {
      return meeting.round != round || !abortReason.empty();
    });
    if (meeting.round == round)
      return failed();
  }
  output = meeting.result;
  return llvm::Error::success();
}

} // namespace mlir::dsv2
