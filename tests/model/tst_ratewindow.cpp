// SPDX-License-Identifier: MIT
// RateWindow: exact 1/10/60-second rates for scripted event sequences across second
// boundaries, decay through advanceTo, out-of-order and negative times, and checkpoints.
#include <ratewindow.h>

#include <QDataStream>
#include <QTest>

#include <cmath>

using namespace FlowScope;

namespace {

// A compact script: "add T [N]" counts N (default 1) events at T seconds, "adv T" advances to
// T seconds; steps are separated by ';'. Seconds are decimal so fixtures read like a timeline.
RateWindow run(const QString& script)
{
    RateWindow w;
    const QStringList steps = script.split(u';', Qt::SkipEmptyParts);
    for (const QString& step : steps) {
        const QStringList words = step.simplified().split(u' ');
        const qint64 micros = std::llround(words.value(1).toDouble() * 1e6);
        if (words.first() == u"add")
            w.add(micros, words.size() > 2 ? words.at(2).toLongLong() : 1);
        else if (words.first() == u"adv")
            w.advanceTo(micros);
        else
            qFatal("bad script step");
    }
    return w;
}

QByteArray saved(const RateWindow& w)
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    w.save(out);
    return bytes;
}

constexpr qint64 kSecond = 1000000;

} // namespace

class TestRateWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void empty()
    {
        const RateWindow w;
        QVERIFY(!w.hasNow());
        QCOMPARE(w.total(), 0);
        for (const int s : { 1, 10, 60 })
            QCOMPARE(w.rate(s), 0.0);
        QVERIFY(w == RateWindow());
    }

    void rates_data()
    {
        // Expected event counts inside each window (the whole seconds before now's), the rate
        // being count / window.
        QTest::addColumn<QString>("script");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<int>("in1");
        QTest::addColumn<int>("in10");
        QTest::addColumn<int>("in60");
        QTest::addColumn<qint64>("total");
        auto row = [](const char* name, const char* script, qint64 now, int in1, int in10, int in60, qint64 total) {
            QTest::newRow(name) << QString::fromLatin1(script) << now << in1 << in10 << in60 << total;
        };
        row("single", "add 0.5", 0, 0, 0, 0, 1);
        row("one second", "add 5.0; add 5.999999; add 5.5 3", 5, 0, 0, 0, 5);
        row("across boundaries", "add 0.9; add 1.0; add 1.1; add 2.0 4; add 9.99", 9, 0, 7, 7, 8);
        row("10 s window edge", "add 0.5; add 10.0", 10, 0, 1, 1, 2);
        row("decay 1 s", "add 0.1 6; adv 1.0", 1, 6, 6, 6, 6);
        row("no decay within the second", "add 0.1 6; adv 0.999999", 0, 0, 0, 0, 6);
        row("decay 10 s", "add 0.1 6; adv 10.0", 10, 0, 6, 6, 6);
        row("decay 59 s", "add 0.1 6; adv 59.999", 59, 0, 0, 6, 6);
        row("decay 60 s", "add 0.1 6; adv 60.0", 60, 0, 0, 6, 6);
        row("decay far", "add 0.1 6; adv 100000.0", 100000, 0, 0, 0, 6);
        row("advance backwards ignored", "add 10.0 2; adv 3.0", 10, 0, 0, 0, 2);
        row("late within window", "add 100.0; add 41.0 2; add 95.5 3", 100, 0, 3, 5, 6);
        row("late beyond window", "add 100.0; add 39.999 5", 100, 0, 0, 0, 6);
        row("future jump", "add 0.0 3; add 1000.0", 1000, 0, 0, 0, 4);
        row("jump of exactly 60 s", "add 0.0 2; add 59.0; add 60.0", 60, 1, 1, 3, 4);
        row("ring slots reused", "add 0.0; add 61.0; add 121.5 2", 121, 0, 0, 1, 4);
        row("advance before add", "adv 100.0; add 30.0 7", 100, 0, 0, 0, 7);
        row("negative times", "add -0.000001; add -1.0; add -1.000001 2; add -0.5", -1, 2, 2, 2, 5);
        row("negative to positive", "add -0.5 2; add 0.5", 0, 2, 2, 2, 3);
        row("negative far past", "add -1000.5; add -941.0 2; add -940.0 3", -940, 2, 2, 2, 6);
        row("zero count advances", "add 0.0 4; add 5.0 0", 5, 0, 4, 4, 4);
        row("negative count ignored", "add 1.0 -5; add 1.0", 1, 0, 0, 0, 1);
    }

    void rates()
    {
        QFETCH(QString, script);
        QFETCH(qint64, now);
        QFETCH(int, in1);
        QFETCH(int, in10);
        QFETCH(int, in60);
        QFETCH(qint64, total);
        const RateWindow w = run(script);
        QVERIFY(w.hasNow());
        QCOMPARE(w.nowSecond(), now);
        QCOMPARE(w.rate(1), in1 / 1.0);
        QCOMPARE(w.rate(10), in10 / 10.0);
        QCOMPARE(w.rate(60), in60 / 60.0);
        QCOMPARE(w.total(), total);
    }

    void windowIsClamped()
    {
        const RateWindow w = run(QStringLiteral("add 0.0 2; add 1.0 3; add 2.0"));
        QCOMPARE(w.rate(0), w.rate(1));
        QCOMPARE(w.rate(-7), 3.0);
        QCOMPARE(w.rate(3600), 5.0 / 60);
        QCOMPARE(w.rate(2), 2.5); // any width in range works, not just 1/10/60
    }

    // A stream younger than the window: the rate is over the whole seconds since its first one.
    // 10 events a second from 0.0 s, now in second 3: three whole seconds, 10/s over 1, 10 and
    // 60 s (it read 3/s over 10 s and 0.5/s over 60 s).
    void youngStreamCountsItsOwnSeconds()
    {
        RateWindow w;
        for (int i = 0; i < 36; ++i)
            w.add(qint64(i) * 100000);
        QCOMPARE(w.nowSecond(), 3);
        QCOMPARE(w.rate(10), 3.0); // no start given: the whole window
        for (const int s : { 1, 10, 60 })
            QCOMPARE(w.rate(s, 0), 10.0);
        QCOMPARE(w.rate(60, 500000), 10.0); // a start inside second 0 counts second 0 whole
        QCOMPARE(w.rate(60, 2 * kSecond), 10.0); // only second 2 is whole since then
        QCOMPARE(w.rate(60, 3 * kSecond), 0.0); // nothing whole yet
        // an old stream: the window is the divisor
        w.advanceTo(100 * kSecond);
        w.add(100 * kSecond + 1);
        QCOMPARE(w.rate(60, 0), 0.0);
        w.advanceTo(101 * kSecond);
        QCOMPARE(w.rate(60, 0), 1.0 / 60);
        QCOMPARE(w.rate(1, 0), 1.0);
    }

    void extremeTimes()
    {
        RateWindow w;
        w.add(std::numeric_limits<qint64>::min());
        w.add(std::numeric_limits<qint64>::max() - kSecond);
        w.add(std::numeric_limits<qint64>::max());
        QCOMPARE(w.total(), 3);
        QCOMPARE(w.rate(60), 1.0 / 60);
        QCOMPARE(w.rate(1), 1.0);
        QCOMPARE(w.nowSecond(), std::numeric_limits<qint64>::max() / kSecond);
    }

    void stateDependsOnlyOnCalls()
    {
        // An advance that the next add would have made anyway leaves no trace.
        QVERIFY(run(QStringLiteral("add 0.0; adv 100.0; add 100.0")) == run(QStringLiteral("add 0.0; add 100.0")));
        QVERIFY(!(run(QStringLiteral("add 0.0")) == run(QStringLiteral("add 0.0 2"))));
        // Counts that have left the window are zeroed, so only total tells these apart.
        QVERIFY(!(run(QStringLiteral("add 0.0; add 70.0")) == run(QStringLiteral("add 70.0"))));
        QCOMPARE(saved(run(QStringLiteral("add 0.0; add 70.0"))).size(), saved(run(QStringLiteral("add 70.0"))).size());

        RateWindow w = run(QStringLiteral("add 3.0 9"));
        w.clear();
        QVERIFY(w == RateWindow());
        QCOMPARE(w.rate(1), 0.0);
    }

    void saveLoadRoundTrip_data()
    {
        rates_data();
        QTest::newRow("empty") << QString() << qint64(0) << 0 << 0 << 0 << qint64(0);
    }

    void saveLoadRoundTrip()
    {
        QFETCH(QString, script);
        const RateWindow w = run(script);
        QByteArray bytes = saved(w);
        bytes.append("trailer");
        QDataStream in(bytes);
        RateWindow loaded = run(QStringLiteral("add 7.0 7")); // load replaces, never adds
        QVERIFY(loaded.load(in));
        QVERIFY(loaded == w);
        QCOMPARE(saved(loaded), saved(w));
        for (const int s : { 1, 10, 60 })
            QCOMPARE(loaded.rate(s), w.rate(s));
        QCOMPARE(in.device()->readAll(), QByteArray("trailer"));

        // And it keeps working after the round trip exactly as the original would.
        RateWindow original = w;
        original.add(200 * kSecond);
        loaded.add(200 * kSecond);
        QVERIFY(loaded == original);
    }

    void saveIsCompact()
    {
        // Header 1 + 1 + 8 + 8 + 1 bytes, then 1 + 8 per non-empty second only.
        QCOMPARE(saved(RateWindow()).size(), 19);
        QCOMPARE(saved(run(QStringLiteral("add 0.0; add 30.0 5; add 59.0"))).size(), 19 + 3 * 9);
    }

    void truncatedLoadFails()
    {
        const QByteArray bytes = saved(run(QStringLiteral("add 0.0; add 30.0 5; add 59.0")));
        for (qsizetype n = 0; n < bytes.size(); ++n) {
            QDataStream in(bytes.left(n));
            RateWindow w = run(QStringLiteral("add 1.0"));
            QVERIFY2(!w.load(in), qPrintable(QString::number(n)));
            QVERIFY(w == RateWindow());
            QVERIFY(in.status() != QDataStream::Ok);
        }
    }

    void corruptLoadFails_data()
    {
        QTest::addColumn<quint8>("version");
        QTest::addColumn<quint8>("hasNow");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<qint64>("total");
        QTest::addColumn<QList<int>>("ages"); // each with a count of 1
        QTest::addColumn<bool>("valid");
        QTest::newRow("valid baseline") << quint8(2) << quint8(1) << qint64(5) << qint64(3) << QList<int> { 1, 3 }
                                        << true;
        QTest::newRow("unknown version") << quint8(9) << quint8(1) << qint64(5) << qint64(3) << QList<int> { 0 }
                                         << false;
        QTest::newRow("hasNow not a bool")
            << quint8(2) << quint8(2) << qint64(5) << qint64(3) << QList<int> {} << false;
        QTest::newRow("no now but a total")
            << quint8(2) << quint8(0) << qint64(0) << qint64(3) << QList<int> {} << false;
        QTest::newRow("no now but counts")
            << quint8(2) << quint8(0) << qint64(0) << qint64(0) << QList<int> { 0 } << false;
        QTest::newRow("negative total") << quint8(2) << quint8(1) << qint64(5) << qint64(-1) << QList<int> {} << false;
        QTest::newRow("windows above total")
            << quint8(2) << quint8(1) << qint64(5) << qint64(1) << QList<int> { 0, 1 } << false;
        QTest::newRow("age 61") << quint8(2) << quint8(1) << qint64(5) << qint64(3) << QList<int> { 61 } << false;
        QTest::newRow("version 1: 60 seconds") << quint8(1) << quint8(1) << qint64(5) << qint64(3) << QList<int> { 1, 3 } << false;
        QTest::newRow("ages out of order")
            << quint8(2) << quint8(1) << qint64(5) << qint64(3) << QList<int> { 2, 0 } << false;
        QTest::newRow("duplicate age") << quint8(2) << quint8(1) << qint64(5) << qint64(3) << QList<int> { 1, 1 }
                                       << false;
        QTest::newRow("now out of range")
            << quint8(2) << quint8(1) << std::numeric_limits<qint64>::min() << qint64(3) << QList<int> { 0 } << false;
    }

    void corruptLoadFails()
    {
        QFETCH(quint8, version);
        QFETCH(quint8, hasNow);
        QFETCH(qint64, now);
        QFETCH(qint64, total);
        QFETCH(QList<int>, ages);
        QFETCH(bool, valid);
        QByteArray bytes;
        {
            QDataStream out(&bytes, QIODevice::WriteOnly);
            out << version << hasNow << now << total << quint8(ages.size());
            for (const int age : ages)
                out << quint8(age) << qint64(1);
        }
        QDataStream in(bytes);
        RateWindow w = run(QStringLiteral("add 1.0"));
        QCOMPARE(w.load(in), valid);
        if (valid) {
            QCOMPARE(w.nowSecond(), 5);
            QCOMPARE(w.rate(1), 1.0);
            QCOMPARE(w.rate(10), 0.2);
            QCOMPARE(saved(w), bytes);
        } else {
            QVERIFY(w == RateWindow());
            QVERIFY(in.status() != QDataStream::Ok);
        }
    }
};

QTEST_GUILESS_MAIN(TestRateWindow)
#include "tst_ratewindow.moc"
