// SPDX-License-Identifier: MIT
// LatencyHistogram: percentiles within 1% of the exact sample percentiles on 100k-sample
// distributions, exact count/mean/min/max, merge, clamping, and checkpoints that round-trip
// byte for byte and refuse truncated or inconsistent input.
#include <latencyhistogram.h>

#include <QBuffer>
#include <QDataStream>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace FlowScope;

namespace {

using Samples = std::vector<qint64>;
constexpr qint64 kHour = LatencyHistogram::kMaxTrackableMicros;
constexpr int kSampleCount = 100000;

// Seeded, so every run (and every machine with the same standard library) sees the same data.
Samples generate(const QByteArray& kind, quint64 seed = 42)
{
    std::mt19937_64 rng(seed);
    Samples out;
    out.reserve(kSampleCount);
    for (int i = 0; i < kSampleCount; ++i) {
        if (kind == "uniform") {
            out.push_back(std::uniform_int_distribution<qint64>(0, 10'000'000)(rng));
        } else if (kind == "exponential") {
            // Mean 20 ms: the usual shape of a healthy service.
            out.push_back(std::llround(std::exponential_distribution<double>(1.0 / 20000.0)(rng)));
        } else if (kind == "bimodal") {
            // 80% cache hits around 2 ms, 20% misses around 800 ms: p90 and p99 sit in the far mode.
            const bool hit = std::bernoulli_distribution(0.8)(rng);
            const double v = hit ? std::normal_distribution<double>(2000, 200)(rng)
                                 : std::normal_distribution<double>(800000, 50000)(rng);
            out.push_back(std::max<qint64>(0, std::llround(v)));
        } else if (kind == "logUniform") {
            // 1 us .. 1 h: every power of two the histogram has is used.
            const double e = std::uniform_real_distribution<double>(0, std::log(double(kHour)))(rng);
            out.push_back(std::llround(std::exp(e)));
        } else {
            qFatal("unknown distribution");
        }
    }
    return out;
}

LatencyHistogram histogramOf(const Samples& samples)
{
    LatencyHistogram h;
    for (const qint64 v : samples)
        h.record(v);
    return h;
}

QByteArray saved(const LatencyHistogram& h)
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    h.save(out);
    return bytes;
}

// Percentiles are given in basis points so the exact rank ceil(p/100 * n) is integer arithmetic,
// independent of the floating-point rank computation under test.
const QList<int> kBasisPoints = { 0, 1, 100, 1000, 2500, 5000, 7500, 8000, 9000, 9500, 9900, 9990, 9999, 10000 };

qint64 exactPercentile(const Samples& sorted, int basisPoints)
{
    const auto n = static_cast<qint64>(sorted.size());
    const qint64 rank = std::max<qint64>(1, (basisPoints * n + 9999) / 10000);
    return sorted[static_cast<size_t>(rank - 1)];
}

// One raw version-1 checkpoint, written field by field, to build corrupt variants.
struct Raw {
    quint8 version = 1;
    qint64 count = 2, sum = 300, min = 100, max = 200, clamped = 0;
    qint64 bucketCountOverride = -1; // -1: the real number of buckets below
    QList<QPair<quint16, qint64>> buckets = { { quint16(100), 1 }, { quint16(200), 1 } };

    QByteArray bytes() const
    {
        QByteArray b;
        QDataStream out(&b, QIODevice::WriteOnly);
        out << version << count << sum << min << max << clamped
            << quint32(bucketCountOverride >= 0 ? bucketCountOverride : buckets.size());
        for (const auto& [index, c] : buckets)
            out << index << c;
        return b;
    }
};

} // namespace

class TestLatencyHistogram : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void empty()
    {
        const LatencyHistogram h;
        QCOMPARE(h.count(), 0);
        QCOMPARE(h.mean(), 0.0);
        QCOMPARE(h.min(), 0);
        QCOMPARE(h.max(), 0);
        QCOMPARE(h.clampedCount(), 0);
        for (const double p : { 0.0, 50.0, 99.0, 100.0 })
            QCOMPARE(h.percentile(p), 0);
        const QJsonObject json = h.toJsonMillis();
        for (const char* key : { "count", "mean", "p50", "p90", "p99", "max" })
            QCOMPARE(json.value(QLatin1StringView(key)).toDouble(-1), 0.0);
        QVERIFY(h == LatencyHistogram());
    }

    void bucketGeometry()
    {
        // Buckets tile [0, 1 h] without gaps, unit-wide below 256, never wider than 1/128 above.
        const int n = LatencyHistogram::bucketCount();
        QVERIFY(n <= 4096);
        QCOMPARE(LatencyHistogram::bucketLowerBound(0), 0);
        for (int i = 0; i < n; ++i) {
            const qint64 lo = LatencyHistogram::bucketLowerBound(i);
            const qint64 width = LatencyHistogram::bucketWidth(i);
            QCOMPARE(LatencyHistogram::bucketIndex(lo), i);
            QCOMPARE(LatencyHistogram::bucketIndex(lo + width - 1), i);
            if (i < 256)
                QCOMPARE(width, 1);
            else
                QVERIFY2(width * 128 <= lo, qPrintable(QString::number(i)));
            if (i + 1 < n)
                QCOMPARE(LatencyHistogram::bucketLowerBound(i + 1), lo + width);
        }
        QCOMPARE(LatencyHistogram::bucketIndex(kHour), n - 1);
        QCOMPARE(LatencyHistogram::bucketIndex(std::numeric_limits<qint64>::max()), n - 1);
        QCOMPARE(LatencyHistogram::bucketIndex(-1), 0);
    }

    void percentiles_data()
    {
        QTest::addColumn<QByteArray>("kind");
        QTest::newRow("uniform 0..10 s") << QByteArray("uniform");
        QTest::newRow("exponential mean 20 ms") << QByteArray("exponential");
        QTest::newRow("bimodal 2 ms / 800 ms") << QByteArray("bimodal");
        QTest::newRow("log-uniform 1 us..1 h") << QByteArray("logUniform");
    }

    void percentiles()
    {
        QFETCH(QByteArray, kind);
        Samples samples = generate(kind);
        const LatencyHistogram h = histogramOf(samples);
        std::sort(samples.begin(), samples.end());

        qint64 sum = 0;
        for (const qint64 v : samples)
            sum += v;
        QCOMPARE(h.count(), kSampleCount);
        QCOMPARE(h.mean(), double(sum) / kSampleCount);
        QCOMPARE(h.min(), samples.front());
        QCOMPARE(h.max(), samples.back());
        QCOMPARE(h.clampedCount(), 0);

        for (const int bp : kBasisPoints) {
            const qint64 exact = exactPercentile(samples, bp);
            const qint64 got = h.percentile(bp / 100.0);
            const double error = std::abs(double(got - exact));
            QVERIFY2(error <= 0.01 * double(exact),
                qPrintable(QStringLiteral("p%1: got %2, exact %3").arg(bp / 100.0).arg(got).arg(exact)));
        }
        QCOMPARE(h.percentile(0), h.min());
        QCOMPARE(h.percentile(100), h.max());
    }

    void percentileArgumentIsClamped()
    {
        const LatencyHistogram h = histogramOf({ 10, 20, 30 });
        QCOMPARE(h.percentile(-5), 10);
        QCOMPARE(h.percentile(std::nan("")), 10);
        QCOMPARE(h.percentile(250), 30);
        // ceil(p/100 * 3): ranks 1, 2, 2, 3; values below 256 are exact.
        QCOMPARE(h.percentile(33.3), 10);
        QCOMPARE(h.percentile(33.34), 20);
        QCOMPARE(h.percentile(66.6), 20);
        QCOMPARE(h.percentile(66.7), 30);
    }

    void singleValue_data()
    {
        QTest::addColumn<qint64>("value");
        for (const qint64 v :
            { qint64(0), qint64(1), qint64(255), qint64(256), qint64(12345), qint64(987654321), kHour })
            QTest::addRow("%lld", static_cast<long long>(v)) << v;
    }

    void singleValue()
    {
        // Every percentile of one sample is that sample: min/max make the bucket answer exact.
        QFETCH(qint64, value);
        LatencyHistogram h;
        h.record(value);
        h.record(value);
        for (const double p : { 0.0, 1.0, 50.0, 99.9, 100.0 })
            QCOMPARE(h.percentile(p), value);
        QCOMPARE(h.mean(), double(value));
    }

    void clampsOutOfRange()
    {
        LatencyHistogram h;
        h.record(1000);
        h.record(kHour + 1);
        h.record(10 * kHour);
        h.record(-5);
        QCOMPARE(h.count(), 4);
        QCOMPARE(h.clampedCount(), 3);
        QCOMPARE(h.min(), 0);
        QCOMPARE(h.max(), kHour);
        QCOMPARE(h.percentile(100), kHour);
        // Rank 3 of 4 is a clamped value but not the maximum: the top bucket's answer, within 1%.
        QVERIFY(std::abs(h.percentile(75) - kHour) <= kHour / 100);
        QCOMPARE(h.percentile(25), 0);
        QCOMPARE(h.mean(), double(1000 + 2 * kHour) / 4);

        LatencyHistogram same;
        for (const qint64 v : { qint64(1000), kHour, kHour, qint64(0) })
            same.record(v);
        QVERIFY(!(h == same)); // same buckets, but the clamped count differs
        QCOMPARE(same.clampedCount(), 0);
    }

    void merge_data()
    {
        QTest::addColumn<QByteArray>("kindA");
        QTest::addColumn<QByteArray>("kindB");
        QTest::newRow("uniform + bimodal") << QByteArray("uniform") << QByteArray("bimodal");
        QTest::newRow("exponential + log-uniform") << QByteArray("exponential") << QByteArray("logUniform");
        QTest::newRow("log-uniform + exponential") << QByteArray("logUniform") << QByteArray("exponential");
    }

    void merge()
    {
        QFETCH(QByteArray, kindA);
        QFETCH(QByteArray, kindB);
        const Samples a = generate(kindA, 1);
        const Samples b = generate(kindB, 2);
        LatencyHistogram both = histogramOf(a);
        for (const qint64 v : b)
            both.record(v);

        LatencyHistogram merged = histogramOf(a);
        merged.merge(histogramOf(b));
        QVERIFY(merged == both);
        QCOMPARE(saved(merged), saved(both));

        LatencyHistogram intoEmpty;
        intoEmpty.merge(both);
        QVERIFY(intoEmpty == both);
        intoEmpty.merge(LatencyHistogram());
        QVERIFY(intoEmpty == both);
    }

    void stateIgnoresOrderAndHistory()
    {
        // Deterministic state: same multiset => equal and byte-identical, whatever the order and
        // whatever was allocated before a clear().
        Samples samples = generate("bimodal");
        const LatencyHistogram forward = histogramOf(samples);
        std::shuffle(samples.begin(), samples.end(), std::mt19937_64(7));
        const LatencyHistogram shuffled = histogramOf(samples);
        QVERIFY(forward == shuffled);
        QCOMPARE(saved(forward), saved(shuffled));

        LatencyHistogram reused;
        reused.record(kHour);
        reused.clear();
        QVERIFY(reused == LatencyHistogram());
        reused.record(5);
        const LatencyHistogram fresh = histogramOf({ 5 });
        QVERIFY(reused == fresh);
        QVERIFY(fresh == reused);
        QCOMPARE(saved(reused), saved(fresh));
        QVERIFY(!(fresh == histogramOf({ 6 })));
    }

    void toJsonMillis()
    {
        const LatencyHistogram h = histogramOf({ 12345, 12345, 12345 });
        QCOMPARE(QJsonDocument(h.toJsonMillis()).toJson(QJsonDocument::Compact),
            QByteArray(R"({"count":3,"max":12.345,"mean":12.345,"p50":12.345,"p90":12.345,"p99":12.345})"));

        Samples samples = generate("exponential");
        const QJsonObject json = histogramOf(samples).toJsonMillis();
        std::sort(samples.begin(), samples.end());
        QCOMPARE(json.size(), 6);
        QCOMPARE(json.value(QStringLiteral("count")).toInteger(), kSampleCount);
        QCOMPARE(json.value(QStringLiteral("max")).toDouble(), double(samples.back()) / 1000);
        const QList<QPair<QString, int>> keys
            = { { QStringLiteral("p50"), 5000 }, { QStringLiteral("p90"), 9000 }, { QStringLiteral("p99"), 9900 } };
        for (const auto& [key, bp] : keys) {
            const double exactMs = double(exactPercentile(samples, bp)) / 1000;
            QVERIFY2(std::abs(json.value(key).toDouble() - exactMs) <= 0.01 * exactMs, qPrintable(key));
        }
        QVERIFY(std::abs(json.value(QStringLiteral("mean")).toDouble() - 20.0) < 0.5);
    }

    void saveLoadRoundTrip_data()
    {
        QTest::addColumn<QByteArray>("kind");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("one value") << QByteArray("one");
        QTest::newRow("clamped") << QByteArray("clamped");
        QTest::newRow("bimodal") << QByteArray("bimodal");
        QTest::newRow("log-uniform") << QByteArray("logUniform");
    }

    void saveLoadRoundTrip()
    {
        QFETCH(QByteArray, kind);
        LatencyHistogram h;
        if (kind == "one")
            h.record(777);
        else if (kind == "clamped")
            h = histogramOf({ -1, 3, 2 * kHour });
        else if (!kind.isEmpty())
            h = histogramOf(generate(kind));

        QByteArray bytes = saved(h);
        bytes.append("trailer"); // the next object in a checkpoint must stay readable
        QDataStream in(bytes);
        LatencyHistogram loaded = histogramOf({ 1, 2, 3 }); // load replaces, never adds
        QVERIFY(loaded.load(in));
        QCOMPARE(in.status(), QDataStream::Ok);
        QVERIFY(loaded == h);
        QCOMPARE(loaded.percentile(99), h.percentile(99));
        QCOMPARE(saved(loaded), saved(h));
        QCOMPARE(in.device()->readAll(), QByteArray("trailer"));
    }

    void saveIsCompact()
    {
        // Header 1 + 5 * 8 + 4 bytes, then 2 + 8 per non-empty bucket only.
        QCOMPARE(saved(LatencyHistogram()).size(), 45);
        QCOMPARE(saved(histogramOf({ 5, 5, kHour })).size(), 45 + 2 * 10);
    }

    void truncatedLoadFails()
    {
        const QByteArray bytes = saved(histogramOf(generate("exponential")));
        QVERIFY(bytes.size() > 45);
        // Every proper prefix, including the empty one, must be refused.
        for (qsizetype n = 0; n < bytes.size(); n += (n < 64 || bytes.size() - n < 64) ? 1 : 97) {
            QDataStream in(bytes.left(n));
            LatencyHistogram h = histogramOf({ 1, 2 });
            QVERIFY2(!h.load(in), qPrintable(QString::number(n)));
            QVERIFY(h == LatencyHistogram());
            QVERIFY(in.status() != QDataStream::Ok);
        }
    }

    void corruptLoadFails_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("valid");
        const Raw good;
        QTest::newRow("valid baseline") << good.bytes() << true;
        Raw r = good;
        r.version = 2;
        QTest::newRow("unknown version") << r.bytes() << false;
        r = good;
        r.count = -2;
        QTest::newRow("negative count") << r.bytes() << false;
        r = good;
        r.count = 3;
        r.sum = 400;
        QTest::newRow("buckets do not add up") << r.bytes() << false;
        r = good;
        r.buckets = { { quint16(200), 1 }, { quint16(100), 1 } };
        QTest::newRow("buckets out of order") << r.bytes() << false;
        r = good;
        r.buckets = { { quint16(100), 1 }, { quint16(100), 1 } };
        QTest::newRow("duplicate bucket") << r.bytes() << false;
        r = good;
        r.buckets = { { quint16(100), 1 }, { quint16(201), 1 } };
        QTest::newRow("bucket beyond max") << r.bytes() << false;
        r = good;
        r.buckets = { { quint16(100), 2 }, { quint16(200), 0 } };
        QTest::newRow("zero-count bucket") << r.bytes() << false;
        r = good;
        r.min = 300;
        QTest::newRow("min above max") << r.bytes() << false;
        r = good;
        r.sum = 100;
        QTest::newRow("sum below min * count") << r.bytes() << false;
        r = good;
        r.clamped = 3;
        QTest::newRow("more clamped than counted") << r.bytes() << false;
        r = good;
        r.max = r.min = 2 * kHour;
        r.sum = 4 * kHour;
        r.buckets = { { quint16(LatencyHistogram::bucketCount() - 1), 2 } };
        QTest::newRow("max beyond range") << r.bytes() << false;
        r = good;
        r.buckets.clear();
        r.bucketCountOverride = 1'000'000'000;
        QTest::newRow("absurd bucket count") << r.bytes() << false;
        r = Raw();
        r.count = r.min = r.max = 0;
        r.sum = 5;
        r.buckets.clear();
        QTest::newRow("empty with a sum") << r.bytes() << false;
    }

    void corruptLoadFails()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, valid);
        QDataStream in(bytes);
        LatencyHistogram h = histogramOf({ 42 });
        QCOMPARE(h.load(in), valid);
        if (valid) {
            QCOMPARE(h.count(), 2);
            QCOMPARE(h.percentile(50), 100);
            QCOMPARE(saved(h), bytes);
        } else {
            QVERIFY(h == LatencyHistogram());
            QVERIFY(in.status() != QDataStream::Ok);
        }
    }
};

QTEST_GUILESS_MAIN(TestLatencyHistogram)
#include "tst_latencyhistogram.moc"
