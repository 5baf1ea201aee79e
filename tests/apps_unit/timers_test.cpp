// The server's timer lists (apps/server/timers.hpp): order, moves, expiry
// and the earliest deadline, with plain items and made-up times.
#include "server/timers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <vector>

namespace ussl::apps {
namespace {

using std::chrono::seconds;

struct Item {
  Item(int id_, Clock::time_point due_) : id(id_), due(due_) {}
  int id = 0;
  Clock::time_point due;  // the same deadline on every list, for the tests
  TimerHook<Item> timer;
};

const Clock::time_point kStart = Clock::now();

Clock::time_point due_of(const Item& item, TimerKind /*list*/) { return item.due; }

std::vector<int> ids_fired(TimerLists<Item>& lists, TimerKind list, Clock::time_point now,
                           const std::function<void(Item&)>& then = {}) {
  std::vector<int> fired;
  lists.expire(list, now, 100, due_of, [&](Item& item) {
    fired.push_back(item.id);
    if (then) then(item);
  });
  return fired;
}

TEST(TimerLists, NewListsAreEmptyAndHaveNoDeadline) {
  const TimerLists<Item> lists;
  EXPECT_TRUE(lists.empty());
  EXPECT_EQ(lists.front(TimerKind::handshake), nullptr);
  EXPECT_FALSE(lists.next(std::nullopt, due_of).has_value());
}

TEST(TimerLists, ItemsKeepTheOrderTheyWereSetIn) {
  TimerLists<Item> lists;
  Item a{1, kStart}, b{2, kStart};
  lists.set(a, TimerKind::handshake);
  lists.set(b, TimerKind::handshake);
  EXPECT_FALSE(lists.empty());
  EXPECT_EQ(lists.front(TimerKind::handshake), &a);
  EXPECT_EQ(a.timer.list, TimerKind::handshake);
}

TEST(TimerLists, SettingAnotherListMovesTheItemOffTheFirst) {
  TimerLists<Item> lists;
  Item a{1, kStart}, b{2, kStart};
  lists.set(a, TimerKind::handshake);
  lists.set(b, TimerKind::handshake);
  lists.set(a, TimerKind::idle);
  EXPECT_EQ(lists.front(TimerKind::handshake), &b);
  EXPECT_EQ(lists.front(TimerKind::idle), &a);
  EXPECT_EQ(a.timer.list, TimerKind::idle);
}

TEST(TimerLists, SettingNoneTakesTheItemOffEveryList) {
  TimerLists<Item> lists;
  Item a{1, kStart};
  lists.set(a, TimerKind::linger);
  lists.set(a, TimerKind::none);
  EXPECT_TRUE(lists.empty());
  EXPECT_EQ(a.timer.list, TimerKind::none);
  lists.set(a, TimerKind::none);  // twice is harmless (release() may run again)
  EXPECT_TRUE(lists.empty());
}

TEST(TimerLists, TouchMovesAnIdleItemToTheBack) {
  TimerLists<Item> lists;
  Item a{1, kStart}, b{2, kStart};
  lists.set(a, TimerKind::idle);
  lists.set(b, TimerKind::idle);
  lists.touch(a);
  EXPECT_EQ(lists.front(TimerKind::idle), &b);
  lists.set(b, TimerKind::none);
  EXPECT_EQ(lists.front(TimerKind::idle), &a);
}

TEST(TimerLists, TouchLeavesTheHandshakeOrderAlone) {
  TimerLists<Item> lists;
  Item a{1, kStart}, b{2, kStart};
  lists.set(a, TimerKind::handshake);
  lists.set(b, TimerKind::handshake);
  lists.touch(a);  // the handshake deadline counts from the accept, not from activity
  EXPECT_EQ(lists.front(TimerKind::handshake), &a);
}

TEST(TimerLists, NextIsTheEarliestFrontOfAllListsAndTheGivenDeadline) {
  TimerLists<Item> lists;
  Item a{1, kStart + seconds(5)}, b{2, kStart + seconds(3)}, c{3, kStart + seconds(9)};
  lists.set(a, TimerKind::handshake);
  lists.set(b, TimerKind::idle);
  lists.set(c, TimerKind::linger);
  EXPECT_EQ(lists.next(std::nullopt, due_of), kStart + seconds(3));
  EXPECT_EQ(lists.next(kStart + seconds(1), due_of), kStart + seconds(1));
}

TEST(TimerLists, ExpireFiresTheDueItemsInOrderAndStopsAtTheFirstNotDue) {
  TimerLists<Item> lists;
  Item a{1, kStart + seconds(1)}, b{2, kStart + seconds(2)}, c{3, kStart + seconds(10)};
  for (Item* item : {&a, &b, &c}) lists.set(*item, TimerKind::handshake);
  const auto fired = ids_fired(lists, TimerKind::handshake, kStart + seconds(5),
                               [&](Item& item) { lists.set(item, TimerKind::idle); });
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  EXPECT_EQ(lists.front(TimerKind::handshake), &c);
  EXPECT_EQ(lists.front(TimerKind::idle), &a);
}

TEST(TimerLists, ExpireTakesOffAnItemItsFireLeftFirstAndDue) {
  TimerLists<Item> lists;
  Item a{1, kStart}, b{2, kStart};
  lists.set(a, TimerKind::idle);
  lists.set(b, TimerKind::idle);
  // A fire that does nothing: the item would be due again at once.
  const auto fired = ids_fired(lists, TimerKind::idle, kStart + seconds(1));
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  EXPECT_TRUE(lists.empty());
  EXPECT_EQ(a.timer.list, TimerKind::none);
}

TEST(TimerLists, ExpireFiresAtMostTheLimit) {
  TimerLists<Item> lists;
  Item a{1, kStart}, b{2, kStart};
  lists.set(a, TimerKind::idle);
  lists.set(b, TimerKind::idle);
  std::vector<int> fired;
  // A fire that keeps re-arming its item at the back: only the limit stops it.
  lists.expire(TimerKind::idle, kStart + seconds(1), 3, due_of, [&](Item& item) {
    fired.push_back(item.id);
    lists.touch(item);
  });
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 1}));
}

TEST(TimerLists, ExpireOfOneListLeavesTheOthersAlone) {
  TimerLists<Item> lists;
  Item a{1, kStart}, b{2, kStart};
  lists.set(a, TimerKind::handshake);
  lists.set(b, TimerKind::linger);
  const auto fired =
      ids_fired(lists, TimerKind::linger, kStart + seconds(1), [&](Item& item) { lists.set(item, TimerKind::none); });
  EXPECT_EQ(fired, (std::vector<int>{2}));
  EXPECT_EQ(lists.front(TimerKind::handshake), &a);
}

TEST(TimerLists, ClearForgetsEveryItem) {
  TimerLists<Item> lists;
  Item a{1, kStart}, b{2, kStart};
  lists.set(a, TimerKind::handshake);
  lists.set(b, TimerKind::idle);
  lists.clear();
  EXPECT_TRUE(lists.empty());
}

}  // namespace
}  // namespace ussl::apps
