// SPDX-License-Identifier: MIT
// Projections as a whole (issue 3): determinism, checkpoints restored and folded forward equal a
// replay from the start, what a checkpoint refuses, and batches folded the engine's way. Views,
// topology and sagas have tests of their own (tst_views, tst_topology, tst_sagatracker).
#include "projectionfixtures.h"

#include <fnv.h>

// Declared before the test bodies (moc reads this file).
class TestProjections : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void determinism();
    void unparsedLineFirst();
    void consumeBatches();
    void checkpoints_data();
    void checkpoints();
    void loadRejects();
    void idHashIsStable();
};

// --- determinism and checkpoints --------------------------------------------------------------

void TestProjections::determinism()
{
    const auto flow = parseFlow(FullFlow);
    const QList<Event> events = generateStream(11, 3000);
    Projections a(flow), b(flow), batched(flow);
    feed(a, events);
    feed(b, events);
    std::mt19937 rng(5);
    for (qsizetype i = 0; i < events.size();) { // batching does not matter
        const qsizetype n = std::min<qsizetype>(events.size() - i, 1 + qsizetype(rng() % 300));
        batched.apply(EventBatch(events.begin() + i, events.begin() + i + n));
        i += n;
    }
    const QJsonObject json = a.toJson();
    COMPARE_JSON(b.toJson(), json);
    COMPARE_JSON(batched.toJson(), json);
    QCOMPARE(b.save(), a.save());
    QCOMPARE(batched.save(), a.save());
    QCOMPARE(a.eventCount(), 3000);

    // nor does the hash seed (another process, or another run): the bytes are the same
    QHashSeed::setDeterministicGlobalSeed();
    Projections seeded(flow), seededHalf(flow);
    feed(seeded, events);
    feed(seededHalf, events, 0, 1500);
    const QByteArray half = seededHalf.save();
    QHashSeed::resetRandomGlobalSeed();
    QCOMPARE(seeded.save(), a.save());
    Projections resumed(flow); // a checkpoint written under one seed, resumed under another
    QVERIFY(resumed.load(half));
    feed(resumed, events, 1500);
    QCOMPARE(resumed.save(), a.save());
    COMPARE_JSON(resumed.toJson(), json);
    QCOMPARE(a.lastSeq(), 3000);

    // the stream exercises what the checkpoints must carry
    const QJsonObject saga = json.value(u"sagas"_s).toObject().value(u"order"_s).toObject();
    const QJsonObject outcomes = saga.value(u"outcomes"_s).toObject();
    for (const char* k : { "completed", "compensated", "failed", "running", "stuck" })
        QVERIFY2(outcomes.value(QLatin1String(k)).toInteger() > 0, k);
    const QJsonObject kinds = saga.value(u"anomaly_kinds"_s).toObject();
    for (const char* k : { "duplicate", "not_accepted", "after_final" })
        QVERIFY2(kinds.value(QLatin1String(k)).toInteger() > 0, k);
    QVERIFY(saga.value(u"unmatched"_s).toInteger() > 0);
    QVERIFY(saga.value(u"transitions"_s).toObject().size() == 9);
    QVERIFY(json.value(u"views"_s).toObject().value(u"orders"_s).toObject().value(u"rows"_s).toInteger() > 100);
    QCOMPARE(json.value(u"views"_s).toObject().value(u"customers"_s).toObject().value(u"rows"_s).toInteger(), 40);
    QVERIFY(!driftList(json.value(u"topology"_s).toObject(), u"undeclared_seen"_s).isEmpty());
}

// A garbage first line (no time, nothing parsed) arrives today: placed there, it carried the
// rate windows and saga clocks past the stream's own times, and every rate read 0.
void TestProjections::unparsedLineFirst()
{
    const auto flow = parseFlow(FullFlow);
    const QList<Event> events = generateStream(11, 3000);
    EventParser parser;
    Event garbage = parser.parseLine("this is not json");
    QVERIFY(garbage.isUnparsed());
    garbage.ingestTime = TimeFormat::nowMicros();
    garbage.seq = 0;
    Projections clean(flow), dirty(flow);
    feed(clean, events);
    dirty.apply(garbage);
    feed(dirty, events);
    QJsonObject cleanJson = clean.toJson(), dirtyJson = dirty.toJson();
    QCOMPARE(dirtyJson.value(u"unparsed"_s).toInteger(), 1);
    QCOMPARE(dirtyJson.value(u"events"_s).toInteger(), 3001);
    for (QJsonObject* o : { &cleanJson, &dirtyJson }) {
        o->remove(u"unparsed"_s);
        o->remove(u"events"_s);
    }
    COMPARE_JSON(dirtyJson, cleanJson);
}

// The engine's way: each event destroyed right after its fold, unnumbered ones numbered on the
// way. Same state as folding them one by one; a batch somebody else holds is left as it was.
void TestProjections::consumeBatches()
{
    const auto flow = parseFlow(FullFlow);
    const QList<Event> events = generateStream(11, 3000);
    Projections a(flow), c(flow);
    feed(a, events);
    qint64 next = 1;

    EventBatch own(events.begin(), events.begin() + 1000); // unnumbered, held by nobody else
    for (Event& e : own)
        e.seq = 0;
    c.consume(std::move(own), next);
    QVERIFY(own.isEmpty());
    QCOMPARE(next, 1001);
    QCOMPARE(c.lastSeq(), 1000);

    EventBatch shared(events.begin() + 1000, events.begin() + 2000); // unnumbered and shared
    for (Event& e : shared)
        e.seq = 0;
    const EventBatch kept = shared;
    c.consume(std::move(shared), next);
    QCOMPARE(next, 2001);
    QCOMPARE(kept.size(), 1000);
    QVERIFY(std::all_of(kept.cbegin(), kept.cend(), [](const Event& e) { return e.seq == 0; }));
    QCOMPARE(kept.constLast().id, events[1999].id);

    EventBatch numbered(events.begin() + 2000, events.end()); // numbered and shared: the holder keeps it as it was
    const EventBatch held = numbered;
    c.consume(std::move(numbered), next);
    QCOMPARE(next, 3001);
    QVERIFY(held == EventBatch(events.begin() + 2000, events.end()));

    QCOMPARE(c.lastSeq(), 3000);
    QCOMPARE(c.eventCount(), 3000);
    QCOMPARE(c.save(), a.save());
    COMPARE_JSON(c.toJson(), a.toJson());
}

void TestProjections::checkpoints_data()
{
    QTest::addColumn<quint32>("seed");
    QTest::addColumn<int>("count");
    QTest::newRow("seed 1") << 1u << 3000;
    QTest::newRow("seed 2") << 2u << 4000;
    QTest::newRow("seed 3, short") << 3u << 40;
}

void TestProjections::checkpoints()
{
    QFETCH(quint32, seed);
    QFETCH(int, count);
    const auto flow = parseFlow(FullFlow);
    const QList<Event> events = generateStream(seed, count);

    // where to checkpoint: both ends, their neighbours, and random points
    std::mt19937 rng(seed * 7919u);
    QList<int> ks { 0, 1, count - 1, count };
    for (int i = 0; i < 30; ++i)
        ks << int(rng() % quint32(count + 1));
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());

    QHash<int, QByteArray> saved;
    QHash<int, QByteArray> jsonAt;
    Projections full(flow);
    int fed = 0;
    for (int k : ks) {
        feed(full, events, fed, k);
        fed = k;
        saved.insert(k, full.save());
        jsonAt.insert(k, jsonText(full.toJson()));
    }
    const QByteArray fullJson = jsonText(full.toJson()), fullBytes = full.save();

    for (int k : ks) {
        Projections restored(flow);
        QVERIFY2(restored.load(saved[k]), qPrintable(QStringLiteral("k = %1").arg(k)));
        QCOMPARE(restored.eventCount(), k);
        QVERIFY2(restored.save() == saved[k], qPrintable(QStringLiteral("save after load differs, k = %1").arg(k)));
        const QByteArray json = jsonText(restored.toJson());
        QVERIFY2(json == jsonAt[k],
            QByteArray("k = " + QByteArray::number(k) + ": " + firstDifference(json, jsonAt[k])).constData());
        feed(restored, events, k);
        const QByteArray after = jsonText(restored.toJson());
        QVERIFY2(after == fullJson,
            QByteArray("k = " + QByteArray::number(k) + ": " + firstDifference(after, fullJson)).constData());
        QVERIFY2(
            restored.save() == fullBytes, qPrintable(QStringLiteral("save() differs, checkpoint at k = %1").arg(k)));
    }
}

void TestProjections::loadRejects()
{
    const auto flow = parseFlow(FullFlow);
    QByteArray otherText = FullFlow;
    otherText.replace("timeout: 30s", "timeout: 31s");
    const auto other = parseFlow(otherText);
    const QList<Event> events = generateStream(4, 1200);
    Projections p(flow);
    feed(p, events, 0, 600);
    const QByteArray bytes = p.save();
    const QByteArray freshJson = jsonText(Projections(flow).toJson());

    // saved for another flow
    Projections q(other);
    QVERIFY(!q.load(bytes));
    QCOMPARE(q.eventCount(), 0);
    QCOMPARE(jsonText(q.toJson()), jsonText(Projections(other).toJson()));
    Projections noFlow;
    QVERIFY(!noFlow.load(bytes));
    Projections r(flow);
    QVERIFY(!r.load(noFlow.save()));
    QVERIFY(!r.load(Projections(other).save()));
    QVERIFY(!r.load(QByteArray()));
    QVERIFY(!r.load(QByteArray("not a checkpoint")));

    // one byte more, or one changed in the header
    QVERIFY(!r.load(bytes + '\0'));
    QByteArray badMagic = bytes;
    badMagic[0] = char(badMagic[0] ^ 0x20);
    QVERIFY(!r.load(badMagic));

    // truncated anywhere: rejected, and the state is empty (not half loaded)
    QList<qsizetype> lengths;
    for (qsizetype len = 0; len < 256 && len < bytes.size(); ++len)
        lengths << len;
    for (qsizetype len = 256; len < bytes.size(); len += std::max<qsizetype>(1, bytes.size() / 400))
        lengths << len;
    for (qsizetype len = std::max<qsizetype>(0, bytes.size() - 256); len < bytes.size(); ++len)
        lengths << len;
    for (qsizetype len : lengths) {
        Projections t(flow);
        feed(t, events, 0, 10); // something to lose
        QVERIFY2(
            !t.load(bytes.left(len)), qPrintable(QStringLiteral("accepted %1 of %2 bytes").arg(len).arg(bytes.size())));
        QVERIFY2(t.eventCount() == 0, qPrintable(QStringLiteral("length %1").arg(len)));
        QVERIFY2(jsonText(t.toJson()) == freshJson, qPrintable(QStringLiteral("not empty after length %1").arg(len)));
    }

    // after a rejected load, the projections work as new
    Projections u(flow);
    QVERIFY(!u.load(bytes.left(bytes.size() / 2)));
    feed(u, events);
    Projections whole(flow);
    feed(whole, events);
    COMPARE_JSON(u.toJson(), whole.toJson());
    QCOMPARE(u.save(), whole.save());
    // and the real thing loads
    QVERIFY(u.load(bytes));
    QCOMPARE(u.eventCount(), 600);

    // Every part of a flow that the projections read changes the fingerprint: a checkpoint made
    // under on_timeout: refunding restored under on_timeout: failed showed the instances that
    // timed out as compensated where folding from the start made them failed.
    const QByteArray orchestrated = "flowscope: 1\n"
                                    "correlation: data.orderId\n"
                                    "channels:\n"
                                    "  orders: [OrderPlaced, StockReserved, StockUnavailable, PaymentRefunded]\n"
                                    "services:\n"
                                    "  checkout: {}\n"
                                    "  shop: {}\n"
                                    "simulation:\n"
                                    "  load:\n"
                                    "    - { emit: OrderPlaced, from: shop, rate: 1/s }\n"
                                    "sagas:\n"
                                    "  order:\n"
                                    "    orchestrator: checkout\n"
                                    "    start: OrderPlaced\n"
                                    "    timeout: 2s\n"
                                    "    states:\n"
                                    "      reserving: { send: ReserveStock, when: { StockReserved: done, StockUnavailable: failed }, on_timeout: refunding }\n"
                                    "      refunding: { when: { PaymentRefunded: cancelled }, on_timeout: failed }\n"
                                    "      done:      { outcome: completed }\n"
                                    "      cancelled: { outcome: compensated }\n"
                                    "      failed:    { outcome: failed }\n";
    const QByteArray base = Projections::fingerprint(parseFlow(orchestrated).get());
    const QList<std::pair<QByteArray, QByteArray>> changes {
        { "on_timeout: failed", "on_timeout: cancelled" },
        { "orchestrator: checkout", "orchestrator: shop" },
        { "send: ReserveStock", "send: HoldStock" },
        { "from: shop", "from: checkout" },
        { "emit: OrderPlaced, from", "emit: OrderQueued, from" },
    };
    for (const auto& [from, to] : changes) {
        QByteArray text = orchestrated;
        QVERIFY(text.contains(from));
        QVERIFY2(Projections::fingerprint(parseFlow(text.replace(from, to)).get()) != base, to.constData());
    }
    // and what they do not read does not
    QByteArray rate = orchestrated;
    QCOMPARE(Projections::fingerprint(parseFlow(rate.replace("rate: 1/s", "rate: 5/s")).get()), base);
}

// Checkpoints store the causation memory's keys, which are wordHash64 of event ids: the hash
// must give the same values in every build, or a saved checkpoint would no longer find its ids.
// These are the values of the first version (a memcpy of the last bytes into a zeroed word).
void TestProjections::idHashIsStable()
{
    const std::pair<QByteArray, quint64> pinned[] = {
        { QByteArrayLiteral(""), 0x0000000000000000ull },
        { QByteArrayLiteral("e"), 0x32f1931126112cceull },
        { QByteArrayLiteral("e1"), 0xa56dbc3bc40c4c17ull },
        { QByteArrayLiteral("e12"), 0x83db9c3415230c65ull },
        { QByteArrayLiteral("e123"), 0x69f02925a551d651ull },
        { QByteArrayLiteral("e1234"), 0x0a5e01a7ec1ef793ull },
        { QByteArrayLiteral("e12345"), 0x62fcaf9a609b6928ull },
        { QByteArrayLiteral("e123456"), 0xf94997be05947356ull },
        { QByteArrayLiteral("e1234567"), 0xdefb54e272efbe00ull },
        { QByteArrayLiteral("order-0001-of-the-day"), 0x1bbdaab7ef8f7c47ull },
        { QByteArray("\xff\xfe\x80"), 0x0f711dc7801182faull },
    };
    for (const auto& [text, hash] : pinned)
        QCOMPARE(wordHash64(text), hash);
}

QTEST_GUILESS_MAIN(TestProjections)
#include "tst_projections.moc"
