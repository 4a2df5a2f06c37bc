// SPDX-License-Identifier: MIT
// The event model's parsers: CloudEvents structured and binary mode, kcat -J envelopes, plain
// JSON, and everything that is not an event (kept, flagged, explained).
#include <cloudeventwriter.h>
#include <eventparser.h>
#include <timeformat.h>

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace FlowScope;

class TestEventParser : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void specExampleBinaryData();
    void specExampleJsonData();
    void specExampleXmlData();
    void extensions();
    void extrasOutOfLine();
    void time_data();
    void time();
    void timeFormatting_data();
    void timeFormatting();
    void timeFormattingAgreesWithQt();
    void timeFormattingOutsideFourDigitYears();
    void binaryMode();
    void binaryModeMissingType();
    void kcatEnvelope_data();
    void kcatEnvelope();
    void kcatHeadersAsMap();
    void plainJson();
    void plainJsonEpochNumbers_data();
    void plainJsonEpochNumbers();
    void malformed_data();
    void malformed();
    void largePayload();
    void structuredRoundTrip_data();
    void structuredRoundTrip();
    void kcatRoundTrip();
};

// CloudEvents 1.0 JSON format, §3.1.1: binary data goes in data_base64.
void TestEventParser::specExampleBinaryData()
{
    EventParser p;
    const Event e = p.parseLine(R"({
        "specversion" : "1.0",
        "type" : "com.example.someevent",
        "source" : "/mycontext",
        "id" : "A234-1234-1234",
        "time" : "2018-04-05T17:31:00Z",
        "comexampleextension1" : "value",
        "comexampleothervalue" : 5,
        "unsetextension" : null,
        "datacontenttype" : "application/vnd.apache.thrift.binary",
        "data_base64" : "AAECAwQF/w=="
    })");
    QVERIFY2(!e.isUnparsed(), e.error().constData());
    QCOMPARE(e.format, EventFormat::Structured);
    QCOMPARE(e.specVersion, "1.0");
    QCOMPARE(e.type, "com.example.someevent");
    QCOMPARE(e.source, "/mycontext");
    QCOMPARE(e.id, "A234-1234-1234");
    QCOMPARE(e.time, *TimeFormat::parseRfc3339("2018-04-05T17:31:00Z"));
    QCOMPARE(e.time, qint64(1522949460) * 1000000);
    QCOMPARE(e.dataContentType, "application/vnd.apache.thrift.binary");
    QCOMPARE(e.payload, QByteArray::fromHex("000102030405ff"));
    QCOMPARE(e.flags, quint8(DataBase64));
    QCOMPARE(e.extensions(), R"({"comexampleextension1":"value","comexampleothervalue":5})");
    QVERIFY(e.subject().isNull());
}

// §3.1.2: JSON data is kept as the JSON text it was.
void TestEventParser::specExampleJsonData()
{
    EventParser p;
    const Event e = p.parseLine(R"({"specversion" : "1.0", "type" : "com.example.someevent", "source" : "/mycontext",)"
                                R"( "subject": null, "id" : "C234-1234-1234", "time" : "2018-04-05T17:31:00Z",)"
                                R"( "comexampleextension1" : "value", "comexampleothervalue" : 5,)"
                                R"( "datacontenttype" : "application/json",)"
                                R"( "data" : { "appinfoA" : "abc", "appinfoB" : 123, "appinfoC" : true } })");
    QVERIFY2(!e.isUnparsed(), e.error().constData());
    QVERIFY(e.subject().isNull()); // null means absent
    QCOMPARE(e.flags, quint8(PayloadJson));
    const QJsonObject data = QJsonDocument::fromJson(e.payload).object();
    QCOMPARE(data.value(u"appinfoA").toString(), u"abc");
    QCOMPARE(data.value(u"appinfoB").toInt(), 123);
    QCOMPARE(data.value(u"appinfoC").toBool(), true);
}

// §3.1.1: non-JSON text data is a JSON string.
void TestEventParser::specExampleXmlData()
{
    EventParser p;
    const Event e = p.parseLine(R"({"specversion":"1.0","type":"com.example.someevent","source":"/mycontext",)"
                                R"("id":"B234-1234-1234","time":"2018-04-05T17:31:00Z","datacontenttype":"application/xml",)"
                                R"("data":"<much wow=\"xml\"/>"})");
    QVERIFY2(!e.isUnparsed(), e.error().constData());
    QCOMPARE(e.payload, R"("<much wow=\"xml\"/>")");
    QCOMPARE(e.flags, quint8(PayloadJson));
}

void TestEventParser::extensions()
{
    EventParser p;
    const Event e = p.parseLine(R"({"specversion":"1.0","id":"1","source":"orders","type":"OrderCreated",)"
                                R"("subject":"o-17","dataschema":"https://example.com/s.json",)"
                                R"("correlationid":"o-17","causationid":"e-0",)"
                                R"("traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",)"
                                R"("partitionkey":"k1","sampled":true,"data":{"orderId":"o-17"}})");
    QVERIFY2(!e.isUnparsed(), e.error().constData());
    QCOMPARE(e.subject(), "o-17");
    QCOMPARE(e.dataSchema(), "https://example.com/s.json");
    QCOMPARE(e.correlationId, "o-17");
    QCOMPARE(e.causationId, "e-0");
    QCOMPARE(e.traceParent(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    QCOMPARE(e.extensions(), R"({"partitionkey":"k1","sampled":true})");
    QVERIFY(!e.hasTime());
}

void TestEventParser::time_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qint64>("micros"); // NoTime: rejected
    const qint64 base = qint64(1522949460) * 1000000; // 2018-04-05T17:31:00Z
    QTest::newRow("utc") << QByteArray("2018-04-05T17:31:00Z") << base;
    QTest::newRow("lowercase") << QByteArray("2018-04-05t17:31:00z") << base;
    QTest::newRow("millis") << QByteArray("2018-04-05T17:31:00.123Z") << base + 123000;
    QTest::newRow("micros") << QByteArray("2018-04-05T17:31:00.123456Z") << base + 123456;
    QTest::newRow("nanos truncated") << QByteArray("2018-04-05T17:31:00.123456789Z") << base + 123456;
    QTest::newRow("offset +02:00") << QByteArray("2018-04-05T19:31:00+02:00") << base;
    QTest::newRow("offset -05:30") << QByteArray("2018-04-05T12:01:00-05:30") << base;
    QTest::newRow("epoch") << QByteArray("1970-01-01T00:00:00Z") << qint64(0);
    QTest::newRow("before epoch") << QByteArray("1969-12-31T23:59:59.5Z") << qint64(-500000);
    QTest::newRow("leap day") << QByteArray("2024-02-29T00:00:00Z") << qint64(1709164800) * 1000000;
    QTest::newRow("no zone") << QByteArray("2018-04-05T17:31:00") << NoTime;
    QTest::newRow("not a leap year") << QByteArray("2023-02-29T00:00:00Z") << NoTime;
    QTest::newRow("month 13") << QByteArray("2018-13-05T17:31:00Z") << NoTime;
    QTest::newRow("date only") << QByteArray("2018-04-05") << NoTime;
    QTest::newRow("trailing") << QByteArray("2018-04-05T17:31:00Zx") << NoTime;
    QTest::newRow("empty fraction") << QByteArray("2018-04-05T17:31:00.Z") << NoTime;
    QTest::newRow("epoch number text") << QByteArray("1522949460") << NoTime;
}

void TestEventParser::time()
{
    QFETCH(QByteArray, text);
    QFETCH(qint64, micros);
    const auto t = TimeFormat::parseRfc3339(text);
    if (micros == NoTime)
        QVERIFY(!t);
    else
        QCOMPARE(t.value_or(NoTime), micros);
}

void TestEventParser::timeFormatting_data()
{
    QTest::addColumn<qint64>("micros");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("whole") << qint64(1522949460) * 1000000 << QByteArray("2018-04-05T17:31:00Z");
    QTest::newRow("millis") << qint64(1522949460) * 1000000 + 5000 << QByteArray("2018-04-05T17:31:00.005Z");
    QTest::newRow("micros") << qint64(1522949460) * 1000000 + 5 << QByteArray("2018-04-05T17:31:00.000005Z");
    QTest::newRow("negative") << qint64(-1) << QByteArray("1969-12-31T23:59:59.999999Z");
    QTest::newRow("epoch") << qint64(0) << QByteArray("1970-01-01T00:00:00Z");
    QTest::newRow("leap day") << qint64(951782400) * 1000000 + 123000 << QByteArray("2000-02-29T00:00:00.123Z");
    QTest::newRow("last of 9999") << qint64(253402300799) * 1000000 + 999999 << QByteArray("9999-12-31T23:59:59.999999Z");
    QTest::newRow("year 1") << qint64(-62135596800) * 1000000 << QByteArray("0001-01-01T00:00:00Z");
}

void TestEventParser::timeFormatting()
{
    QFETCH(qint64, micros);
    QFETCH(QByteArray, text);
    QCOMPARE(TimeFormat::toRfc3339(micros), text);
    QCOMPARE(TimeFormat::parseRfc3339(text).value_or(NoTime), micros);
}

// Years RFC 3339 cannot write still come out readable, as printf's "%04lld" writes them (not
// parsed back: the parser takes four-digit years only).
void TestEventParser::timeFormattingOutsideFourDigitYears()
{
    QCOMPARE(TimeFormat::toRfc3339(qint64(253402300800) * 1000000), QByteArray("10000-01-01T00:00:00Z"));
    QCOMPARE(TimeFormat::toRfc3339(qint64(-62167219200) * 1000000 + 5000), QByteArray("0000-01-01T00:00:00.005Z"));
    QCOMPARE(TimeFormat::toRfc3339(qint64(-62198755200) * 1000000), QByteArray("-001-01-01T00:00:00Z"));
    QCOMPARE(TimeFormat::toRfc3339(qint64(-62198755200) * 1000000 - 1), QByteArray("-002-12-31T23:59:59.999999Z"));
}

// The formatter against QDateTime's, for 20 000 times spread over 1900-2200 at every precision.
void TestEventParser::timeFormattingAgreesWithQt()
{
    quint64 x = 88172645463325252ull; // xorshift: the same times every run
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const qint64 seconds = qint64(x % 9467280000ull) - 2208988800; // 1900-01-01 .. 2200-01-01
        const qint64 frac = i % 3 == 0 ? 0 : i % 3 == 1 ? qint64(x % 999 + 1) * 1000 : qint64(x % 999999 + 1);
        const qint64 micros = seconds * 1000000 + frac;
        const QDateTime dt = QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC);
        QByteArray expected = dt.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss")).toLatin1();
        if (frac != 0 && frac % 1000 == 0)
            expected += '.' + QByteArray::number(frac / 1000).rightJustified(3, '0');
        else if (frac != 0)
            expected += '.' + QByteArray::number(frac).rightJustified(6, '0');
        expected += 'Z';
        QCOMPARE(TimeFormat::toRfc3339(micros), expected);
    }
}

// CloudEvents Kafka protocol binding §3.2: attributes in ce_ headers, content-type header.
void TestEventParser::binaryMode()
{
    EventParser p;
    KafkaRecord r;
    r.topic = "payments";
    r.partition = 3;
    r.offset = 4711;
    r.key = "o-17";
    r.brokerTime = 1522949460123000;
    r.headers = { { "ce_specversion", "1.0" },
                  { "ce_id", "p-1" },
                  { "ce_source", "payment" },
                  { "ce_type", "PaymentAuthorized" },
                  { "ce_time", "2018-04-05T17:31:00Z" },
                  { "ce_correlationid", "o-17" },
                  { "ce_comexampleextension1", "value" },
                  { "content-type", "application/json" },
                  { "x-trace", {}, true } };
    r.value = R"({"orderId":"o-17","amount":12.5})";
    const Event e = p.parseKafkaRecord(r);
    QVERIFY2(!e.isUnparsed(), e.error().constData());
    QCOMPARE(e.format, EventFormat::Binary);
    QCOMPARE(e.id, "p-1");
    QCOMPARE(e.source, "payment");
    QCOMPARE(e.type, "PaymentAuthorized");
    QCOMPARE(e.time, qint64(1522949460) * 1000000);
    QCOMPARE(e.correlationId, "o-17");
    QCOMPARE(e.dataContentType, "application/json");
    QCOMPARE(e.extensions(), R"({"comexampleextension1":"value"})");
    QCOMPARE(e.channel, "payments");
    QCOMPARE(e.partition, 3);
    QCOMPARE(e.offset, 4711);
    QCOMPARE(e.key, "o-17");
    QCOMPARE(e.brokerTime, 1522949460123000);
    QCOMPARE(e.headers().size(), 9); // every header is kept, ce_ ones included
    QVERIFY(e.headers().last().isNull);
    QCOMPARE(e.payload, r.value);
    QCOMPARE(e.flags, quint8(PayloadJson));
}

void TestEventParser::binaryModeMissingType()
{
    EventParser p;
    KafkaRecord r;
    r.topic = "t";
    r.headers = { { "ce_specversion", "1.0" }, { "ce_id", "1" }, { "ce_source", "s" } };
    r.value = "payload";
    const Event e = p.parseKafkaRecord(r);
    QVERIFY(e.isUnparsed());
    QCOMPARE(e.error(), "required attribute `type` is missing");
    QCOMPARE(e.payload, "payload"); // kept
    QCOMPARE(e.channel, "t");
}

void TestEventParser::kcatEnvelope_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<int>("format");
    QTest::addColumn<bool>("unparsed");
    QTest::addColumn<QByteArray>("type");
    QTest::addColumn<QByteArray>("payload");

    QTest::newRow("structured payload")
        << QByteArray(R"({"topic":"orders","partition":2,"offset":10,"tstype":"create","ts":1522949460123,)"
                      R"("broker":1,"headers":["content-type","application/cloudevents+json"],"key":"o-1",)"
                      R"("payload":"{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"orders\",)"
                      R"(\"type\":\"OrderCreated\",\"data\":{\"orderId\":\"o-1\"}}"})")
        << int(EventFormat::Structured) << false << QByteArray("OrderCreated") << QByteArray(R"({"orderId":"o-1"})");
    QTest::newRow("binary mode")
        << QByteArray(R"({"topic":"orders","partition":0,"offset":11,"tstype":"create","ts":1522949460123,)"
                      R"("broker":1,"headers":["ce_specversion","1.0","ce_id","2","ce_source","orders",)"
                      R"("ce_type","OrderApproved"],"key":null,"payload":"{\"orderId\":\"o-1\"}"})")
        << int(EventFormat::Binary) << false << QByteArray("OrderApproved") << QByteArray(R"({"orderId":"o-1"})");
    QTest::newRow("plain json payload")
        << QByteArray(R"({"topic":"legacy","partition":0,"offset":12,"broker":1,"key":"k",)"
                      R"("payload":"{\"type\":\"Ping\",\"n\":1}"})")
        << int(EventFormat::PlainJson) << false << QByteArray("Ping") << QByteArray(R"({"type":"Ping","n":1})");
    // a record's value is kept as it came, whitespace and all (the replay sends these bytes)
    QTest::newRow("plain json payload with a newline")
        << QByteArray(R"({"topic":"legacy","partition":0,"offset":12,"broker":1,"key":"k",)"
                      R"("payload":"{\"type\":\"Ping\",\"n\":1}\r\n"})")
        << int(EventFormat::PlainJson) << false << QByteArray("Ping") << QByteArray("{\"type\":\"Ping\",\"n\":1}\r\n");
    QTest::newRow("opaque payload")
        << QByteArray(R"({"topic":"bin","partition":0,"offset":13,"broker":1,"key":"k","payload":"not json at all"})")
        << int(EventFormat::Opaque) << true << QByteArray() << QByteArray("not json at all");
    QTest::newRow("tombstone") << QByteArray(R"({"topic":"bin","partition":0,"offset":14,"key":"k","payload":null})")
                               << int(EventFormat::Opaque) << true << QByteArray() << QByteArray();
}

void TestEventParser::kcatEnvelope()
{
    QFETCH(QByteArray, line);
    QFETCH(int, format);
    QFETCH(bool, unparsed);
    QFETCH(QByteArray, type);
    QFETCH(QByteArray, payload);
    EventParser p;
    const Event e = p.parseLine(line);
    QCOMPARE(int(e.format), format);
    QCOMPARE(e.isUnparsed(), unparsed);
    QCOMPARE(e.type, type);
    QCOMPARE(e.payload, payload);
    QVERIFY(!e.channel.isEmpty()); // the topic is the event's channel
    QVERIFY(e.offset >= 10);
    QCOMPARE(e.partition >= 0, true);
    if (QTest::currentDataTag() == QByteArrayLiteral("structured payload")) {
        QCOMPARE(e.channel, "orders");
        QCOMPARE(e.partition, 2);
        QCOMPARE(e.offset, 10);
        QCOMPARE(e.key, "o-1");
        QCOMPARE(e.brokerTime, 1522949460123000);
        QCOMPARE(e.headers().size(), 1);
        QCOMPARE(e.headers()[0].name, "content-type");
    }
    if (QTest::currentDataTag() == QByteArrayLiteral("binary mode"))
        QVERIFY(e.key.isNull()); // "key":null: no key, not an empty one
}

void TestEventParser::kcatHeadersAsMap()
{
    EventParser p;
    const Event e = p.parseLine(R"({"topic":"t","partition":0,"offset":1,"headers":{"a":["1","2"],"b":[null]},)"
                                R"("key":"","payload":"{}"})");
    QCOMPARE(e.headers().size(), 3);
    QCOMPARE(e.headers()[1], (Header { "a", "2", false }));
    QVERIFY(e.headers()[2].isNull);
    QCOMPARE(e.key, QByteArray(""));
    QVERIFY(!e.key.isNull());
    // another form (pairs): kept unparsed, and the error says which forms are read
    const Event pairs = p.parseLine(R"({"topic":"t","partition":0,"offset":1,"headers":[["a","1"]],"key":"","payload":"{}"})");
    QVERIFY(pairs.isUnparsed());
    QVERIFY2(pairs.error().startsWith(R"("headers" is neither kcat's ["name","value",...] nor {"name":["value",...]}: )"),
             pairs.error().constData());
}

void TestEventParser::plainJson()
{
    EventParser p;
    const Event e = p.parseLine(R"({"type":"Ping","id":42,"timestamp":1522949460000,"source":"pinger","n":1})");
    QVERIFY(!e.isUnparsed());
    QCOMPARE(e.format, EventFormat::PlainJson);
    QCOMPARE(e.type, "Ping");
    QCOMPARE(e.id, "42");
    QCOMPARE(e.source, "pinger");
    QCOMPARE(e.time, qint64(1522949460) * 1000000);
    QCOMPARE(e.payload, R"({"type":"Ping","id":42,"timestamp":1522949460000,"source":"pinger","n":1})");
}

void TestEventParser::plainJsonEpochNumbers_data()
{
    QTest::addColumn<QByteArray>("number");
    QTest::addColumn<QByteArray>("time"); // RFC 3339, or empty for none
    // the same instant in the four units programs write
    QTest::newRow("seconds") << QByteArray("1700000000") << QByteArray("2023-11-14T22:13:20Z");
    QTest::newRow("milliseconds") << QByteArray("1700000000123") << QByteArray("2023-11-14T22:13:20.123Z");
    QTest::newRow("microseconds") << QByteArray("1700000000123456") << QByteArray("2023-11-14T22:13:20.123456Z");
    QTest::newRow("nanoseconds") << QByteArray("1700000000123456789") << QByteArray("2023-11-14T22:13:20.123456Z");
    QTest::newRow("milliseconds in 2001") << QByteArray("1000000000000") << QByteArray("2001-09-09T01:46:40Z");
    QTest::newRow("seconds before 1970") << QByteArray("-86400") << QByteArray("1969-12-31T00:00:00Z");
    // was ms * 1000: a signed overflow that invented the year 222737 and made every instance stuck
    QTest::newRow("largest integer") << QByteArray("9223372036854775807") << QByteArray("2262-04-11T23:47:16.854775Z");
    QTest::newRow("smallest integer") << QByteArray("-9223372036854775808") << QByteArray("1677-09-21T00:12:43.145225Z");
    QTest::newRow("the most seconds") << QByteArray("99999999999") << QByteArray("5138-11-16T09:46:39Z");
    QTest::newRow("the most milliseconds") << QByteArray("99999999999999") << QByteArray("5138-11-16T09:46:39.999Z");
    QTest::newRow("before the year 1") << QByteArray("-99999999999") << QByteArray();
}

void TestEventParser::plainJsonEpochNumbers()
{
    QFETCH(QByteArray, number);
    QFETCH(QByteArray, time);
    EventParser p;
    const Event e = p.parseLine(QByteArray(R"({"type":"Ping","timestamp":)" + number + "}"));
    QVERIFY(!e.isUnparsed());
    QCOMPARE(e.time == NoTime ? QByteArray() : TimeFormat::toRfc3339(e.time), time);
    // a kcat envelope's `ts` is Kafka's: milliseconds, and -1 for none
    const QByteArray kcat = R"({"topic":"t","partition":0,"offset":1,"ts":)";
    QCOMPARE(p.parseLine(QByteArray(kcat + R"(-1,"payload":"{}"})")).brokerTime, NoTime);
    QCOMPARE(p.parseLine(QByteArray(kcat + R"(9223372036854775807,"payload":"{}"})")).brokerTime, NoTime);
    QCOMPARE(p.parseLine(QByteArray(kcat + R"(1700000000123,"payload":"{}"})")).brokerTime, qint64(1700000000123) * 1000);
}

void TestEventParser::malformed_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QByteArray>("error");
    const QByteArray ok = R"("specversion":"1.0","source":"s","type":"T")";
    QTest::newRow("truncated") << QByteArray(R"({"specversion":"1.0","id":"1","sou)") << QByteArray("truncated JSON");
    // said for what the line is, not for its first byte (simdjson called these null, a boolean, a number)
    QTest::newRow("words") << QByteArray("not json") << QByteArray("not JSON (an event is a JSON object, starting with '{')");
    QTest::newRow("a word") << QByteArray("nope") << QByteArray("not JSON (an event is a JSON object, starting with '{')");
    QTest::newRow("true words") << QByteArray("true story") << QByteArray("not JSON (an event");
    QTest::newRow("a number and more") << QByteArray("123abc") << QByteArray("not JSON (an event");
    QTest::newRow("a number") << QByteArray("-12.5e3") << QByteArray("not a JSON object but a number");
    QTest::newRow("null") << QByteArray("null") << QByteArray("not a JSON object but null");
    QTest::newRow("a boolean") << QByteArray("false") << QByteArray("not a JSON object but a boolean");
    QTest::newRow("a string") << QByteArray(R"("hello")") << QByteArray("not a JSON object but a string");
    QTest::newRow("an array") << QByteArray("[1,2]") << QByteArray("not a JSON object but an array");
    QTest::newRow("cut after a key") << QByteArray(R"({"a":)") << QByteArray("truncated JSON (an object or array is not closed at the end of the line)");
    QTest::newRow("truncated object") << QByteArray(R"({"specversion":"1.0","id":"1")") << QByteArray("truncated JSON");
    QTest::newRow("id is a number") << "{" + ok + R"(,"id":5})" << QByteArray("attribute `id` must be a string, not a number");
    QTest::newRow("type is an object") << QByteArray(R"({"specversion":"1.0","id":"1","source":"s","type":{}})")
                                       << QByteArray("attribute `type` must be a string, not an object");
    QTest::newRow("time is a number") << "{" + ok + R"(,"id":"1","time":1522949460})"
                                      << QByteArray("attribute `time` must be a string, not a number");
    QTest::newRow("time not rfc3339") << "{" + ok + R"(,"id":"1","time":"yesterday"})"
                                      << QByteArray("attribute `time` is not an RFC 3339 timestamp: yesterday");
    QTest::newRow("extension object") << "{" + ok + R"(,"id":"1","ext":{"a":1}})"
                                      << QByteArray("attribute `ext` must be a string, integer or boolean");
    QTest::newRow("missing id") << "{" + ok + "}" << QByteArray("required attribute `id` is missing");
    QTest::newRow("empty source") << QByteArray(R"({"specversion":"1.0","id":"1","source":"","type":"T"})")
                                  << QByteArray("attribute `source` is empty");
    QTest::newRow("old specversion") << QByteArray(R"({"specversion":"0.3","id":"1","source":"s","type":"T"})")
                                     << QByteArray("specversion `0.3` is not supported");
    QTest::newRow("data and data_base64") << "{" + ok + R"(,"id":"1","data":1,"data_base64":"AA=="})"
                                          << QByteArray("both `data` and `data_base64` are present");
    QTest::newRow("bad base64") << "{" + ok + R"(,"id":"1","data_base64":"!!!"})"
                                << QByteArray("attribute `data_base64` is not valid base64");
    QTest::newRow("invalid utf-8") << "{" + ok + ",\"id\":\"caf\xE9\"}" << QByteArray("invalid UTF-8");
    QTest::newRow("binary garbage") << QByteArray("\x00\x01\x02\xff\xfe garbage \x7f", 16) << QByteArray("invalid");
    QTest::newRow("array") << QByteArray("[1,2,3]") << QByteArray("not a JSON object but an array");
    QTest::newRow("string") << QByteArray("\"hello\"") << QByteArray("not a JSON object but a string");
    QTest::newRow("plain text") << QByteArray("PING") << QByteArray("not JSON (an event is a JSON object");
    QTest::newRow("trailing text") << "{" + ok + R"(,"id":"1"} trailing)" << QByteArray("unexpected text after the JSON object at column 56");
    QTest::newRow("kcat bad offset") << QByteArray(R"({"topic":"t","partition":0,"offset":"x","payload":"{}"})")
                                     << QByteArray("kcat envelope: `offset` must be an integer");
}

void TestEventParser::malformed()
{
    QFETCH(QByteArray, line);
    QFETCH(QByteArray, error);
    EventParser p;
    const Event e = p.parseLine(line);
    QVERIFY(e.isUnparsed());
    QVERIFY2(e.error().contains(error), e.error().constData());
    QCOMPARE(e.payload, line); // the bytes are kept exactly as they came
    // and the parser is still fine afterwards
    const Event next = p.parseLine(R"({"specversion":"1.0","id":"n","source":"s","type":"T"})");
    QVERIFY(!next.isUnparsed());
    QCOMPARE(next.id, "n");
}

void TestEventParser::largePayload()
{
    EventParser p;
    QByteArray big(10 * 1024 * 1024, 'x');
    const QByteArray line = R"({"specversion":"1.0","id":"big","source":"s","type":"Big","data":")" + big + "\"}";
    const Event e = p.parseLine(line);
    QVERIFY2(!e.isUnparsed(), e.error().constData());
    QCOMPARE(e.payload.size(), big.size() + 2);
    QCOMPARE(e.payload, '"' + big + '"');
}

void TestEventParser::structuredRoundTrip_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::newRow("json data") << QByteArray(
        R"({"specversion":"1.0","id":"1","source":"orders","type":"OrderCreated","subject":"o-1",)"
        R"("time":"2018-04-05T17:31:00.123456Z","datacontenttype":"application/json","dataschema":"urn:s",)"
        R"("correlationid":"o-1","causationid":"e-0","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",)"
        R"("partitionkey":"k","count":7,"flag":false,"data":{"orderId":"o-1","lines":[1,2,{"a":"é\n"}]}})");
    QTest::newRow("base64 data") << QByteArray(
        R"({"specversion":"1.0","id":"2","source":"s","type":"T","datacontenttype":"application/octet-stream",)"
        R"("data_base64":"AAEC/w=="})");
    QTest::newRow("no data") << QByteArray(R"({"specversion":"1.0","id":"3","source":"s","type":"T"})");
    QTest::newRow("string data") << QByteArray(R"({"specversion":"1.0","id":"4","source":"s","type":"T","data":"a\"b"})");
    QTest::newRow("plain json") << QByteArray(R"({"type":"Ping","n":1})");
    QTest::newRow("unparsed") << QByteArray("not an event");
}

// Written back out and read again, an event is the same event, field by field.
void TestEventParser::structuredRoundTrip()
{
    QFETCH(QByteArray, line);
    EventParser p;
    const Event first = p.parseLine(line);
    const QByteArray written = CloudEventWriter::toStructuredJson(first);
    Event second = p.parseLine(written);
    if (first.format == EventFormat::PlainJson) {
        // a plain object is not a CloudEvent: it goes out exactly as it came, nothing invented
        QCOMPARE(written, line);
    }
    QCOMPARE(second.id, first.id);
    QCOMPARE(second.type, first.type);
    QCOMPARE(second.source, first.source);
    QCOMPARE(second.subject(), first.subject());
    QCOMPARE(second.time, first.time);
    QCOMPARE(second.specVersion, first.specVersion);
    QCOMPARE(second.dataContentType, first.dataContentType);
    QCOMPARE(second.dataSchema(), first.dataSchema());
    QCOMPARE(second.correlationId, first.correlationId);
    QCOMPARE(second.causationId, first.causationId);
    QCOMPARE(second.traceParent(), first.traceParent());
    QCOMPARE(second.extensions(), first.extensions());
    QCOMPARE(second.payload, first.payload);
    QCOMPARE(second.flags, first.flags);
    QCOMPARE(second.error(), first.error());
    QCOMPARE(second, first);
}

void TestEventParser::kcatRoundTrip()
{
    EventParser p;
    const QByteArray lines[] = {
        R"({"topic":"orders","partition":2,"offset":10,"tstype":"create","ts":1522949460123,"broker":1,)"
        R"("headers":["h","v","n",null],"key":"o-1","payload":"{\"specversion\":\"1.0\",\"id\":\"1\",)"
        R"(\"source\":\"orders\",\"type\":\"OrderCreated\",\"data\":{\"orderId\":\"o-1\"}}"})",
        R"({"topic":"orders","partition":0,"offset":11,"broker":1,"headers":["ce_specversion","1.0","ce_id","2",)"
        R"("ce_source","orders","ce_type","OrderApproved"],"key":null,"payload":"{\"orderId\":\"o-1\"}"})",
        R"({"topic":"bin","partition":0,"offset":13,"broker":1,"headers":[],"key":"k","payload":"opaque \u0001"})",
    };
    for (const QByteArray& line : lines) {
        const Event first = p.parseLine(line);
        const Event second = p.parseLine(CloudEventWriter::toKcatJson(first));
        QCOMPARE(second, first);
    }

    // Bytes that are not UTF-8 (an Avro key and value, say) go out as base64 and come back
    // exact; kcat's own form would have turned them into U+FFFD. No channel stays no channel.
    KafkaRecord r;
    r.topic = "avro";
    r.partition = 1;
    r.offset = 7;
    r.key = QByteArray::fromHex("00000007d2");
    r.value = QByteArray::fromHex("0000000001ff80c3");
    Event binary = p.parseKafkaRecord(r);
    QVERIFY(binary.isUnparsed());
    Event noChannel = p.parseLine("not json");
    QVERIFY(noChannel.channel.isNull());
    r.value = QByteArray("");
    const Event empty = p.parseKafkaRecord(r); // an empty value, not a tombstone
    for (const Event& e : { binary, noChannel, empty }) {
        const QByteArray line = CloudEventWriter::toKcatJson(e);
        const Event back = p.parseLine(line);
        QCOMPARE(back.key, e.key);
        QCOMPARE(back.payload, e.payload);
        QCOMPARE(back.payload.isNull(), e.payload.isNull());
        QCOMPARE(back.channel, e.channel);
        QCOMPARE(back.channel.isNull(), e.channel.isNull());
        QCOMPARE(back.offset, e.offset);
    }
    QVERIFY(CloudEventWriter::toKcatJson(binary).contains(R"("key_base64":"AAAAB9I=")"));
    QVERIFY(CloudEventWriter::toKcatJson(binary).contains(R"("payload_base64":"AAAAAAH/gMM=")"));
    QVERIFY(CloudEventWriter::toKcatJson(noChannel).startsWith(R"({"topic":null,)"));
    QVERIFY(p.parseLine(R"({"topic":"t","partition":0,"offset":1,"payload_base64":"!!"})").error().contains("`payload_base64` is not valid base64"));
    QVERIFY(p.parseLine(R"({"topic":"t","partition":0,"offset":1,"payload":"a","payload_base64":"YQ=="})").error().contains("both"));
}

// The rarely-set attributes live out of line: absent ones allocate nothing, present ones are
// copied on write, and null stays apart from empty.
void TestEventParser::extrasOutOfLine()
{
    EventParser p;
    const Event plain = p.parseLine(R"({"specversion":"1.0","id":"1","source":"s","type":"T"})");
    QVERIFY(!plain.isUnparsed());
    QVERIFY(plain.extras.isEmpty()); // nothing rare: nothing allocated
    QVERIFY(plain.subject().isNull());
    QVERIFY(plain.headers().isEmpty());

    Event e;
    e.setSubject(QByteArray());
    e.setHeaders({});
    QVERIFY(e.extras.isEmpty()); // setting absent values allocates nothing
    e.setSubject(QByteArray("")); // present and empty
    QVERIFY(!e.extras.isEmpty());
    QVERIFY(!e.subject().isNull());
    QVERIFY(e.subject().isEmpty());
    QVERIFY(e.traceParent().isNull());

    Event copy = e;
    copy.setSubject("changed");
    copy.setHeaders({ Header { "h", "v", false } });
    QCOMPARE(e.subject(), QByteArray("")); // the original keeps its own
    QVERIFY(e.headers().isEmpty());
    QCOMPARE(copy.subject(), QByteArray("changed"));
    QCOMPARE(copy.headers().size(), 1);
    QVERIFY(!(copy == e));
    copy.setSubject(QByteArray(""));
    copy.setHeaders({});
    QVERIFY(copy == e); // equal by content, not by where the extras live

    const Event ext = p.parseLine(R"({"specversion":"1.0","id":"1","source":"s","type":"T","subject":"x","tenant":"eu"})");
    QCOMPARE(ext.subject(), QByteArray("x"));
    QCOMPARE(ext.extensions(), QByteArray(R"({"tenant":"eu"})"));
}

QTEST_GUILESS_MAIN(TestEventParser)
#include "tst_eventparser.moc"
