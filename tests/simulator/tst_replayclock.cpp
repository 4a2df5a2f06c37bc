// SPDX-License-Identifier: MIT
// The replay clock with an injected wall clock: exact, and no sleeping.
#include <replayclock.h>

#include <QTest>

using FlowScope::Sim::ReplayClock;

class TestReplayClock : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void realTime();
    void speedChangeKeepsTheCurrentTime();
    void pauseAndResume();
    void seek();
    void unpaced();
};

namespace {
struct FakeWall {
    qint64 now = 1000;
    ReplayClock::WallClock fn()
    {
        return [this] { return now; };
    }
};
} // namespace

void TestReplayClock::realTime()
{
    FakeWall wall;
    ReplayClock c(wall.fn());
    c.start(5'000'000);
    QCOMPARE(c.now(), 5'000'000);
    wall.now += 250'000;
    QCOMPARE(c.now(), 5'250'000);
    QCOMPARE(c.waitFor(6'000'000), 750'000);
    QCOMPARE(c.waitFor(5'000'000), 0); // already due
}

void TestReplayClock::speedChangeKeepsTheCurrentTime()
{
    FakeWall wall;
    ReplayClock c(wall.fn());
    c.start(0);
    wall.now += 1'000'000;
    c.setSpeed(10);
    QCOMPARE(c.now(), 1'000'000); // no jump at the change
    wall.now += 1'000'000;
    QCOMPARE(c.now(), 11'000'000);
    QCOMPARE(c.waitFor(12'000'000), 100'000);
    c.setSpeed(0.1);
    wall.now += 1'000'000;
    QCOMPARE(c.now(), 11'100'000);
}

void TestReplayClock::pauseAndResume()
{
    FakeWall wall;
    ReplayClock c(wall.fn());
    c.start(0);
    wall.now += 2'000'000;
    c.pause();
    QVERIFY(c.isPaused());
    wall.now += 60'000'000;
    QCOMPARE(c.now(), 2'000'000);
    QCOMPARE(c.waitFor(3'000'000), -1);
    c.resume();
    wall.now += 500'000;
    QCOMPARE(c.now(), 2'500'000);
}

void TestReplayClock::seek()
{
    FakeWall wall;
    ReplayClock c(wall.fn());
    c.start(0);
    c.setSpeed(2);
    wall.now += 1'000'000;
    c.seek(100'000'000);
    QCOMPARE(c.now(), 100'000'000);
    wall.now += 1'000'000;
    QCOMPARE(c.now(), 102'000'000);
    QCOMPARE(c.speed(), 2.0);
}

void TestReplayClock::unpaced()
{
    FakeWall wall;
    ReplayClock c(wall.fn());
    c.start(0);
    c.setSpeed(ReplayClock::Unpaced);
    QCOMPARE(c.waitFor(1'000'000'000), 0); // everything is due at once
}

QTEST_GUILESS_MAIN(TestReplayClock)
#include "tst_replayclock.moc"
