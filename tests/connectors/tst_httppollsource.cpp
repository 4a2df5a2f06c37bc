// SPDX-License-Identifier: MIT
// HttpPollSource against a real HTTP peer on loopback: a small HTTP/1.1 responder the test runs
// on 127.0.0.1 (QTcpServer; one request per connection), answering what each test decides:
// an Atom feed with ETags, JSON arrays that overlap from one poll to the next, 500s, and
// nothing at all (connection refused). Also AtomFeed and RecentIds alone, and
// `flowscope record --poll`.
#include "collector.h"

#include <atomfeed.h>
#include <httppollsource.h>
#include <recentids.h>
#include <recording.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>
#include <mutex>

using namespace FlowScope;
using Testing::Collector;
using Connectors::HttpPollSource;
using Connectors::SourceState;

namespace {

// A minimal HTTP/1.1 server: reads a request's head, answers with what `handler` returns and
// closes the connection (Connection: close), so every poll is a connection of its own.
class HttpPeer final {
public:
    struct Request {
        QByteArray method, target;
        QHash<QByteArray, QByteArray> headers; // names in lower case
    };
    struct Answer {
        int status = 200;
        QByteArray reason = "OK";
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray body;
        qint64 contentLength = -1; // -1: the body's size; more: an answer cut short
    };
    std::function<Answer(const Request&)> handler;
    QList<Request> requests;

    HttpPeer()
    {
        if (!m_server.listen(QHostAddress::LocalHost, 0))
            qWarning("cannot listen: %s", qPrintable(m_server.errorString()));
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                auto buffer = std::make_shared<QByteArray>();
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
                    *buffer += socket->readAll();
                    const qsizetype end = buffer->indexOf("\r\n\r\n");
                    if (end >= 0 && !socket->property("answered").toBool()) {
                        socket->setProperty("answered", true);
                        answer(socket, buffer->left(end));
                    }
                });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    QUrl url(const QString& path) const { return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port()).arg(path)); }

private:
    void answer(QTcpSocket* socket, const QByteArray& head)
    {
        Request r;
        const QList<QByteArray> lines = head.split('\n');
        const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
        r.method = first.value(0);
        r.target = first.value(1);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            if (colon > 0)
                r.headers.insert(lines.at(i).left(colon).trimmed().toLower(), lines.at(i).mid(colon + 1).trimmed());
        }
        requests.append(r);
        const Answer a = handler ? handler(r) : Answer {};
        QByteArray out = "HTTP/1.1 " + QByteArray::number(a.status) + ' ' + a.reason + "\r\nConnection: close\r\n";
        for (const auto& [name, value] : a.headers)
            out += name + ": " + value + "\r\n";
        if (a.status != 304 && a.status != 204)
            out += "Content-Length: " + QByteArray::number(a.contentLength >= 0 ? a.contentLength : a.body.size()) + "\r\n";
        out += "\r\n";
        if (a.status != 304 && a.status != 204)
            out += a.body;
        socket->write(out);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
};

QByteArray atomEntry(int i)
{
    return "<entry><id>tag:example.org,2024:release-" + QByteArray::number(i) + "</id><title>Release "
        + QByteArray::number(i) + "</title><updated>2024-05-0" + QByteArray::number(i)
        + "T10:00:00Z</updated><link rel=\"alternate\" href=\"https://example.org/r/" + QByteArray::number(i)
        + "\"/><category term=\"ReleasePublished\"/><summary>Notes " + QByteArray::number(i)
        + "</summary><author><name>Ada</name></author></entry>";
}

// Newest first, as feeds list them.
QByteArray atomFeed(int newest)
{
    QByteArray feed = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                      "<id>urn:example:releases</id><title>Releases</title><updated>2024-05-09T00:00:00Z</updated>";
    for (int i = newest; i >= 1; --i)
        feed += atomEntry(i);
    return feed + "</feed>";
}

QByteArray ce(const QByteArray& id)
{
    return R"({"specversion":"1.0","id":")" + id + R"(","source":"/api","type":"OrderCreated","data":{}})";
}

HttpPollSource::Options fast(const QUrl& url)
{
    HttpPollSource::Options o;
    o.url = url;
    o.intervalMs = 100; // the default is 5 s; the tests wait less
    return o;
}

} // namespace

class TestHttpPollSource : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void atomFeedWithETag();
    void jsonArraysOverlapping();
    void serverErrorThenLive();
    void connectionRefusedKeepsPolling();
    void atomFeedAlone();
    void recentIdsForgetTheOldest();
    void plainJsonIsKnownByItsBytes();
    void answerCutShortSaysSo();
    void retryAfterIsHonoured();
    void badSettingsFailAtStart();
    void recordCommandPoll();

private:
    QTemporaryDir m_dir;
};

// An Atom feed polled with ETags: the second request carries If-None-Match and gets a 304
// (nothing new); then the feed gains one entry: exactly one more event.
void TestHttpPollSource::atomFeedWithETag()
{
    HttpPeer peer;
    int newest = 3;
    peer.handler = [&](const HttpPeer::Request& r) {
        const QByteArray etag = "\"v" + QByteArray::number(newest) + '"';
        if (r.headers.value("if-none-match") == etag)
            return HttpPeer::Answer { 304, "Not Modified", { { "ETag", etag } }, {} };
        return HttpPeer::Answer { 200, "OK", { { "Content-Type", "application/atom+xml" }, { "ETag", etag } },
            atomFeed(newest) };
    };
    Collector collected;
    HttpPollSource source(fast(peer.url(QStringLiteral("/releases.atom"))));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 3, 10000);
    QCOMPARE(source.status().state, SourceState::Live);
    QVERIFY(!peer.requests.first().headers.contains("if-none-match"));

    // the next poll asks with the ETag and is told nothing changed
    QTRY_VERIFY_WITH_TIMEOUT(source.notModified() >= 1, 10000);
    QCOMPARE(peer.requests.at(1).headers.value("if-none-match"), QByteArray("\"v3\""));
    QCOMPARE(source.counters().handedOver.load(), 3);
    QCOMPARE(source.duplicates(), 0); // a 304 brings nothing to compare

    newest = 4; // one new entry, the three old ones still listed
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 4, 10000);
    const qint64 polls = source.polls();
    QTRY_VERIFY_WITH_TIMEOUT(source.polls() >= polls + 2, 10000);
    source.stop();
    QCOMPARE(source.counters().handedOver.load(), 4);
    QCOMPARE(source.duplicates(), 3);

    const QList<Event> events = collected.all();
    QCOMPARE(events.size(), 4);
    for (int i = 0; i < 4; ++i) { // oldest first
        const Event& e = events.at(i);
        QVERIFY2(!e.isUnparsed(), e.error().constData());
        QCOMPARE(e.id, QByteArray("tag:example.org,2024:release-" + QByteArray::number(i + 1)));
        QCOMPARE(e.type, QByteArray("ReleasePublished"));
        QCOMPARE(e.source, QByteArray("urn:example:releases"));
        QCOMPARE(e.channel, QByteArray("releases.atom"));
        QVERIFY(e.hasTime());
    }
    const QJsonObject data = QJsonDocument::fromJson(events.at(3).payload).object();
    QCOMPARE(data.value(u"title").toString(), QStringLiteral("Release 4"));
    QCOMPARE(data.value(u"summary").toString(), QStringLiteral("Notes 4"));
    QCOMPARE(data.value(u"link").toString(), QStringLiteral("https://example.org/r/4"));
    QCOMPARE(data.value(u"author").toString(), QStringLiteral("Ada"));
}

// JSON arrays whose windows overlap from poll to poll, no ETag: each event is recorded once,
// those without an id (known by their bytes) and one that is no event at all included.
void TestHttpPollSource::jsonArraysOverlapping()
{
    HttpPeer peer;
    const QList<QByteArray> ids { "a", "b", "c", "d", "e" };
    peer.handler = [&](const HttpPeer::Request&) {
        const qsizetype poll = peer.requests.size(); // 1, 2, 3, ...
        const qsizetype from = std::min<qsizetype>(poll - 1, 2);
        QByteArray body = "[";
        for (qsizetype i = from; i < from + 3; ++i)
            body += ce(ids.at(i)) + ',';
        body += R"({"plain":true}, 42])"; // in every answer
        return HttpPeer::Answer { 200, "OK", { { "Content-Type", "application/json" } }, body };
    };
    Collector collected;
    HttpPollSource source(fast(peer.url(QStringLiteral("/events"))));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(source.polls() >= 5, 10000);
    source.stop();
    const QList<Event> events = collected.all();
    QCOMPARE(events.size(), 7);
    QCOMPARE(events.at(0).id, QByteArray("a"));
    QCOMPARE(events.at(1).id, QByteArray("b"));
    QCOMPARE(events.at(2).id, QByteArray("c"));
    QCOMPARE(events.at(3).format, EventFormat::PlainJson);
    QVERIFY(events.at(4).isUnparsed());
    QCOMPARE(events.at(4).payload, QByteArray("42"));
    QVERIFY2(events.at(4).error().startsWith(
                 QByteArray(peer.url(QStringLiteral("/events")).toString().toUtf8() + " element 5: ")),
        events.at(4).error().constData());
    QCOMPARE(events.at(5).id, QByteArray("d"));
    QCOMPARE(events.at(6).id, QByteArray("e"));
    QCOMPARE(source.counters().unparsed.load(), 1);
    QCOMPARE(source.counters().received.load(), 7);
    QCOMPARE(source.duplicates(), source.polls() * 5 - 7);
}

// 500s: Retrying with the URL and the status; the next good answer makes it Live.
void TestHttpPollSource::serverErrorThenLive()
{
    HttpPeer peer;
    peer.handler = [&](const HttpPeer::Request&) {
        if (peer.requests.size() <= 2)
            return HttpPeer::Answer { 500, "Internal Server Error", {}, "boom" };
        return HttpPeer::Answer { 200, "OK", { { "Content-Type", "application/json" } }, "[" + ce("x") + "]" };
    };
    Collector collected;
    std::mutex mutex;
    QList<Connectors::SourceStatus> seen;
    HttpPollSource source(fast(peer.url(QStringLiteral("/flaky"))));
    collected.attach(source);
    source.setStatusHandler([&](const Connectors::SourceStatus& s) {
        std::lock_guard lock(mutex);
        seen.append(s);
    });
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 1, 10000);
    QCOMPARE(source.status().state, SourceState::Live);
    source.stop();
    std::lock_guard lock(mutex);
    QVERIFY(seen.size() >= 3);
    QCOMPARE(seen.at(0).state, SourceState::Connecting);
    QCOMPARE(seen.at(1).state, SourceState::Retrying);
    QCOMPARE(seen.at(1).reason,
        peer.url(QStringLiteral("/flaky")).toString() + QStringLiteral(": HTTP 500 Internal Server Error"));
    QCOMPARE(seen.at(2).state, SourceState::Live);
    QVERIFY(collected.all().first().id == "x");
}

// Nothing listening: Retrying with the reason, and polling goes on.
void TestHttpPollSource::connectionRefusedKeepsPolling()
{
    quint16 port = 0;
    {
        QTcpServer gone;
        QVERIFY(gone.listen(QHostAddress::LocalHost, 0));
        port = gone.serverPort();
    }
    HttpPollSource source(fast(QUrl(QStringLiteral("http://127.0.0.1:%1/x").arg(port))));
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(source.polls() >= 3, 10000);
    QCOMPARE(source.status().state, SourceState::Retrying);
    QVERIFY2(source.status().reason.startsWith(QStringLiteral("http://127.0.0.1:%1/x: ").arg(port)),
        qPrintable(source.status().reason));
    QVERIFY2(source.status().reason.contains(u"refused", Qt::CaseInsensitive), qPrintable(source.status().reason));
    source.stop();
    QCOMPARE(source.status().state, SourceState::Stopped);
}

void TestHttpPollSource::atomFeedAlone()
{
    QList<QByteArray> events;
    QString error;
    const QByteArray feed = R"(<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
        <entry><id>1</id><title type="html">&lt;b&gt;bold&lt;/b&gt;</title><updated>not a date</updated>
          <media:title>ignored</media:title>
          <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Hello <b>world</b></div></content>
          <link rel="self" href="https://x/self"/></entry>
        <entry><title>no id</title><content src="https://x/c"/></entry>
      </feed>)";
    QVERIFY2(Connectors::AtomFeed::toCloudEvents(feed, QStringLiteral("https://x/feed"), &events, &error),
        qPrintable(error));
    QCOMPARE(events.size(), 2);
    const QJsonObject first = QJsonDocument::fromJson(events.at(0)).object();
    QCOMPARE(first.value(u"id").toString(), QStringLiteral("1"));
    QCOMPARE(first.value(u"source").toString(), QStringLiteral("https://x/feed")); // no feed id
    QCOMPARE(first.value(u"type").toString(), QStringLiteral("atom.entry"));
    QVERIFY(!first.contains(u"time")); // not RFC 3339: kept in data only
    const QJsonObject data = first.value(u"data").toObject();
    QCOMPARE(data.value(u"title").toString(), QStringLiteral("<b>bold</b>"));
    QCOMPARE(data.value(u"content").toString(), QStringLiteral("Hello world"));
    QCOMPARE(data.value(u"link").toString(), QStringLiteral("https://x/self"));
    QCOMPARE(data.value(u"updated").toString(), QStringLiteral("not a date"));
    const QJsonObject second = QJsonDocument::fromJson(events.at(1)).object();
    QVERIFY(!second.contains(u"id")); // left out: the parser keeps it as unparsed, with that reason
    QCOMPARE(second.value(u"data").toObject().value(u"content_src").toString(), QStringLiteral("https://x/c"));

    events.clear();
    QVERIFY(!Connectors::AtomFeed::toCloudEvents(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>", {}, &events, &error));
    QVERIFY2(error.startsWith(u"line 1, column"), qPrintable(error));
    QVERIFY(events.isEmpty());
    QVERIFY(!Connectors::AtomFeed::toCloudEvents("<rss version=\"2.0\"/>", {}, &events, &error));
    QVERIFY2(error.contains(u"<rss>"), qPrintable(error));
    QVERIFY(Connectors::AtomFeed::looksLikeXml("application/atom+xml; charset=utf-8", "{"));
    QVERIFY(Connectors::AtomFeed::looksLikeXml("", "  \n<feed/>"));
    QVERIFY(!Connectors::AtomFeed::looksLikeXml("application/json", "[]"));
}

// A plain JSON object's `id` names the entity (an order), not the event: the order listed as
// created, then as shipped, is two events. Equal elements in one answer are two events too; an
// answer listing them again repeats them.
void TestHttpPollSource::plainJsonIsKnownByItsBytes()
{
    HttpPeer peer;
    peer.handler = [&](const HttpPeer::Request&) {
        QByteArray body = R"([{"id":"o-7","status":"created"})";
        if (peer.requests.size() >= 2)
            body += R"(,{"id":"o-7","status":"shipped"},{"tick":1},{"tick":1})";
        return HttpPeer::Answer { 200, "OK", { { "Content-Type", "application/json" } }, body + "]" };
    };
    Collector collected;
    HttpPollSource source(fast(peer.url(QStringLiteral("/orders"))));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(source.polls() >= 4, 10000);
    source.stop();
    QList<QByteArray> payloads;
    for (const Event& e : collected.all())
        payloads.append(e.payload);
    QCOMPARE(payloads,
        (QList<QByteArray> { R"({"id":"o-7","status":"created"})", R"({"id":"o-7","status":"shipped"})", R"({"tick":1})",
            R"({"tick":1})" }));
    QCOMPARE(source.duplicates(), 1 + (source.polls() - 2) * 4);
}

// Content-Length 400, 60 bytes, closed: the reason says the transfer failed, not "HTTP 200 OK".
void TestHttpPollSource::answerCutShortSaysSo()
{
    HttpPeer peer;
    peer.handler = [&](const HttpPeer::Request&) {
        return HttpPeer::Answer { 200, "OK", { { "Content-Type", "application/json" } }, "[" + ce("x").left(59), 400 };
    };
    Collector collected;
    HttpPollSource source(fast(peer.url(QStringLiteral("/cut"))));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(source.polls() >= 2, 10000);
    const auto status = source.status();
    source.stop();
    QCOMPARE(status.state, SourceState::Retrying);
    const QString prefix = peer.url(QStringLiteral("/cut")).toString() + QStringLiteral(": ");
    QVERIFY2(status.reason.startsWith(prefix) && status.reason.endsWith(u" (after HTTP 200 OK)")
            && status.reason != prefix + QStringLiteral("HTTP 200 OK"),
        qPrintable(status.reason));
    QCOMPARE(collected.all().size(), 0); // half an answer is not taken
}

// 429 with Retry-After: 2 while polling every 100 ms: the next request waits 2 s, and the status
// says why.
void TestHttpPollSource::retryAfterIsHonoured()
{
    HttpPeer peer;
    peer.handler = [&](const HttpPeer::Request&) {
        if (peer.requests.size() == 1)
            return HttpPeer::Answer { 429, "Too Many Requests", { { "Retry-After", "2" } }, {} };
        return HttpPeer::Answer { 200, "OK", { { "Content-Type", "application/json" } }, "[" + ce("x") + "]" };
    };
    Collector collected;
    HttpPollSource source(fast(peer.url(QStringLiteral("/busy"))));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.polls(), 1, 10000);
    QCOMPARE(source.status().reason,
        peer.url(QStringLiteral("/busy")).toString()
            + QStringLiteral(": HTTP 429 Too Many Requests; the next request in 2 s, as Retry-After asks"));
    QTest::qWait(1000); // at 100 ms apart there would be ~10 requests by now
    QCOMPARE(peer.requests.size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 1, 10000);
    source.stop();
}

void TestHttpPollSource::recentIdsForgetTheOldest()
{
    Connectors::RecentIds ids(3);
    QVERIFY(ids.insert("a"));
    QVERIFY(ids.insert("b"));
    QVERIFY(!ids.insert("a"));
    QVERIFY(ids.insert("c"));
    QVERIFY(ids.insert("d")); // "a" goes
    QCOMPARE(ids.size(), 3);
    QVERIFY(!ids.contains("a"));
    QVERIFY(ids.contains("b") && ids.contains("c") && ids.contains("d"));
    QVERIFY(ids.insert("a"));
    QCOMPARE(HttpPollSource::Options {}.rememberIds, 100000);
}

void TestHttpPollSource::badSettingsFailAtStart()
{
    QString error;
    HttpPollSource ftp(fast(QUrl(QStringLiteral("ftp://user:pw@127.0.0.1/x"))));
    QVERIFY(!ftp.start(&error));
    QVERIFY2(error.startsWith(u"ftp://user@127.0.0.1/x"), qPrintable(error)); // never the password
    HttpPollSource::Options zero = fast(QUrl(QStringLiteral("http://127.0.0.1/x")));
    zero.intervalMs = 0;
    HttpPollSource none(zero);
    QVERIFY(!none.start(&error));
    QCOMPARE(none.status().state, SourceState::Idle);
}

// `flowscope record --poll URL --interval 100ms --max-events 2` against the test's server.
void TestHttpPollSource::recordCommandPoll()
{
    HttpPeer peer;
    peer.handler = [](const HttpPeer::Request&) {
        return HttpPeer::Answer { 200, "OK", { { "Content-Type", "application/json" } },
            "[" + ce("p1") + "," + ce("p2") + "," + ce("p3") + "]" };
    };
    const QString rec = m_dir.filePath(QStringLiteral("poll.fsrec"));
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
        { QStringLiteral("record"), QStringLiteral("--poll"), peer.url(QStringLiteral("/events")).toString(),
            QStringLiteral("--interval"), QStringLiteral("100ms"), QStringLiteral("--max-events"), QStringLiteral("2"),
            QStringLiteral("--out"), rec, QStringLiteral("--json") });
    QVERIFY(p.waitForStarted());
    // the server lives in this process: its event loop must run while the command does
    QTRY_COMPARE_WITH_TIMEOUT(p.state(), QProcess::NotRunning, 30000);
    const QByteArray errors = p.readAllStandardError();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, errors.constData());
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(o.value(u"events").toInteger(), 2);
    QCOMPARE(o.value(u"source").toObject().value(u"recorded").toInteger(), 2);
    QCOMPARE(o.value(u"source").toObject().value(u"polls").toInteger(), 1); // --max-events reached in the first
    QCOMPARE(o.value(u"source").toObject().value(u"duplicates").toInteger(), 0);
    QCOMPARE(o.value(u"source").toObject().value(u"not_modified").toInteger(), 0);
    QString error;
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), 2);
    QVERIFY2(recording->meta(QStringLiteral("source"))
                 .startsWith(QStringLiteral("poll %1 every 0.1 s").arg(peer.url(QStringLiteral("/events")).toString())),
        qPrintable(recording->meta(QStringLiteral("source"))));
}

QTEST_GUILESS_MAIN(TestHttpPollSource)
#include "tst_httppollsource.moc"
