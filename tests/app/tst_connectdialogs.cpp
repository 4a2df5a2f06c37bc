// SPDX-License-Identifier: MIT
// File > Connect to a source, offscreen, against real peers on 127.0.0.1 started by the test
// (issue #6 item 9): a JSONL file the test writes and appends to, a webhook the test POSTs to,
// a QWebSocketServer sending messages, a small HTTP responder to poll, librdkafka's mock
// cluster. The dialog is filled as a user fills it and accepted; the window's live session must
// then hold exactly what was sent.
// Settings that cannot work (a missing file, a port in use, a bad URL or address) are said in
// the window's banner, and secrets never reach the settings or the window title.
#include <engine.h>
#include <eventlogmodel.h>
#include <gui/connectdialog.h>
#include <gui/filepage.h>
#include <gui/kafkapage.h>
#include <gui/livesession.h>
#include <gui/mainwindow.h>
#include <gui/graphview.h>
#include <gui/sourcepage.h>
#include <gui/topologypage.h>
#include <kafkamock.h>
#include <webhooksource.h>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "testsettings.h"
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <functional>
#include <memory>

using namespace FlowScope;
using namespace FlowScope::Gui;

namespace {

QByteArray cloudEvent(const char* prefix, int i)
{
    return R"({"specversion":"1.0","id":")" + QByteArray(prefix) + QByteArray::number(i)
        + R"(","source":"/shop","type":"OrderCreated","time":"2026-11-27T10:00:00Z","correlationid":"o)"
        + QByteArray::number(i % 10) + R"(","data":{"n":)" + QByteArray::number(i) + "}}";
}

template <typename T> T* field(SourcePage* page, const char* name)
{
    T* f = page->findChild<T*>(QLatin1StringView(name));
    if (!f)
        qWarning("no field %s on the %s page", name, qPrintable(page->kind()));
    return f;
}

// A one-answer-per-connection HTTP/1.1 responder that serves the same body to every request.
class HttpPeer final {
public:
    explicit HttpPeer(QByteArray body)
        : m_body(std::move(body))
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    if (!socket->readAll().contains("\r\n\r\n") || socket->property("answered").toBool())
                        return; // the requests here are small: their head comes in one read
                    socket->setProperty("answered", true);
                    ++requests;
                    socket->write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                                  "Content-Length: "
                        + QByteArray::number(m_body.size()) + "\r\n\r\n" + m_body);
                    socket->disconnectFromHost();
                });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    int requests = 0;

private:
    QByteArray m_body;
    QTcpServer m_server;
};

} // namespace

class TestConnectDialogs : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void menuOpensTheDialogOnEveryPage();
    void followedFileThroughTheDialog();
    void webhookThroughTheDialog();
    void webSocketThroughTheDialog();
    void httpPollThroughTheDialog();
    void kafkaThroughTheDialog();
    void badSettingsShowInTheBanner_data();
    void badSettingsShowInTheBanner();
    void badUrlIsSaidAndKeptWithoutSecrets();
    void kafkaStartTimeIsKept();
    void screenshotsOfEveryPage();

private:
    // Opens File > Connect to a source as a user does, shows the `kind` page, lets `fill` set
    // its fields and presses Connect. Returns once the window has connected (or said why not).
    void connectThroughTheMenu(MainWindow& w, const QString& kind, const std::function<void(SourcePage*)>& fill);
    QString settingsText() const; // the whole settings file, to look for secrets in it

    QTemporaryDir m_dir;
};

void TestConnectDialogs::initTestCase()
{
    QVERIFY(Tests::isolateSettings(m_dir, QStringLiteral("tst_connectdialogs")));
}

void TestConnectDialogs::cleanup() { QSettings().clear(); }

void TestConnectDialogs::connectThroughTheMenu(
    MainWindow& w, const QString& kind, const std::function<void(SourcePage*)>& fill)
{
    bool filled = false;
    // exec() runs its own loop: the dialog is filled and accepted from there, as a user would
    std::function<void()> fillWhenOpen;
    fillWhenOpen = [&] {
        auto* dialog = w.findChild<ConnectDialog*>();
        if (!dialog || !dialog->isVisible()) {
            QTimer::singleShot(10, &w, fillWhenOpen);
            return;
        }
        dialog->setCurrentKind(kind);
        fill(dialog->currentPage());
        filled = true;
        dialog->accept();
    };
    QTimer::singleShot(0, &w, fillWhenOpen);
    auto* action = w.findChild<QAction*>(QStringLiteral("connectSource"));
    QVERIFY(action);
    action->trigger();
    QVERIFY(filled);
}

QString TestConnectDialogs::settingsText() const
{
    QSettings().sync();
    QFile f(QSettings().fileName());
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// Ctrl+Shift+K opens one dialog with a page per source; "Connect to Kafka…" opens it on Kafka.
void TestConnectDialogs::menuOpensTheDialogOnEveryPage()
{
    MainWindow w;
    w.show();
    auto* action = w.findChild<QAction*>(QStringLiteral("connectSource"));
    QVERIFY(action);
    QCOMPARE(action->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+K")));
    // File > Connect to Kafka: the same dialog, on its Kafka page (whichever was used last);
    // cancelled, it connects nothing
    QSettings().setValue(QStringLiteral("connect/kind"), QStringLiteral("File"));
    QString shown;
    QTimer::singleShot(0, &w, [&] {
        if (auto* d = w.findChild<ConnectDialog*>()) {
            shown = d->currentPage()->kind();
            d->reject();
        }
    });
    w.findChild<QAction*>(QStringLiteral("connectKafka"))->trigger();
    QCOMPARE(shown, u"Kafka");
    QVERIFY(!w.session());
    QVERIFY(!w.findChild<ConnectDialog*>()); // gone with its exec()

    ConnectDialog dialog(&w);
    QStringList kinds;
    for (SourcePage* p : dialog.pages())
        kinds.append(p->kind());
    QCOMPARE(kinds,
        (QStringList { QStringLiteral("Kafka"), QStringLiteral("WebSocket"), QStringLiteral("Webhook"),
            QStringLiteral("HTTP poll"), QStringLiteral("File") }));
    // the webhook's defaults: this machine only, its secret hidden
    SourcePage* webhook = dialog.page(QStringLiteral("Webhook"));
    QCOMPARE(field<QLineEdit>(webhook, "address")->text(), u"127.0.0.1");
    QCOMPARE(field<QLineEdit>(webhook, "secret")->echoMode(), QLineEdit::Password);
    QCOMPARE(field<QSpinBox>(webhook, "maxBody")->value(), 1024);
    QCOMPARE(dialog.currentPage()->kind(), u"File"); // the page used last
}

// N lines in a file, followed from its beginning: exactly N events, the status "live"; M lines
// appended: exactly N + M (followed, nothing read twice).
void TestConnectDialogs::followedFileThroughTheDialog()
{
    constexpr int N = 500, M = 25;
    const QString path = m_dir.filePath(QStringLiteral("orders.jsonl"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    for (int i = 0; i < N; ++i)
        file.write(cloudEvent("f", i) + '\n');
    file.flush();

    MainWindow w;
    w.resize(1200, 800);
    w.show();
    connectThroughTheMenu(w, QStringLiteral("File"), [&](SourcePage* page) {
        field<QLineEdit>(page, "path")->setText(path);
        auto* startAt = field<QComboBox>(page, "startAt");
        startAt->setCurrentIndex(startAt->findData(FilePage::Beginning));
    });
    QVERIFY2(w.errorText().isEmpty(), qPrintable(w.errorText()));
    auto* live = dynamic_cast<LiveSession*>(w.session());
    QVERIFY(live);
    QCOMPARE(live->kind(), u"File");
    QTRY_COMPARE_WITH_TIMEOUT(live->snapshot()->events, qint64(N), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(live->sourceStatus(), QStringLiteral("live"), 5000);
    QTRY_VERIFY2_WITH_TIMEOUT(w.statusText().startsWith(u"File live") && w.statusText().contains(u" 500 events"),
        qPrintable(w.statusText()), 5000);
    QVERIFY2(w.windowTitle().contains(path), qPrintable(w.windowTitle()));

    for (int i = N; i < N + M; ++i)
        file.write(cloudEvent("f", i) + '\n');
    file.flush();
    QTRY_COMPARE_WITH_TIMEOUT(live->snapshot()->events, qint64(N + M), 20000);
    QCOMPARE(live->source().counters().handedOver.load(), qint64(N + M));
    QTRY_COMPARE_WITH_TIMEOUT(w.eventModel()->rowCount(), N + M, 10000);
    if (const QString out = qEnvironmentVariable("FLOWSCOPE_SCREENSHOTS"); !out.isEmpty())
        QVERIFY(w.grab().save(out + QStringLiteral("/connect-file-window.png"))); // for the eye

    // the next time, the dialog opens on this page with this file
    ConnectDialog again(&w);
    QCOMPARE(again.currentPage()->kind(), u"File");
    QCOMPARE(field<QLineEdit>(again.currentPage(), "path")->text(), path);
    w.close();
}

// A webhook on "any free port" with an HMAC secret: 20 signed CloudEvents POSTed, exactly 20
// recorded; an unsigned one is refused (401) and not recorded. The secret is in neither the
// settings nor the window.
void TestConnectDialogs::webhookThroughTheDialog()
{
    constexpr int N = 20;
    const QByteArray secret = "hunter2-very-secret";
    MainWindow w;
    w.show();
    connectThroughTheMenu(w, QStringLiteral("Webhook"), [&](SourcePage* page) {
        field<QSpinBox>(page, "port")->setValue(0); // any free port: the window title says which
        field<QLineEdit>(page, "secret")->setText(QString::fromUtf8(secret));
    });
    QVERIFY2(w.errorText().isEmpty(), qPrintable(w.errorText()));
    auto* live = dynamic_cast<LiveSession*>(w.session());
    QVERIFY(live);
    QCOMPARE(live->kind(), u"Webhook");
    const quint16 port = static_cast<const Connectors::WebhookSource&>(live->source()).port();
    QVERIFY(port != 0);
    QVERIFY2(w.windowTitle().contains(QStringLiteral("127.0.0.1:%1").arg(port)), qPrintable(w.windowTitle()));

    QNetworkAccessManager nam;
    auto post = [&](const QByteArray& body, bool sign) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/orders").arg(port)));
        request.setRawHeader("Content-Type", "application/cloudevents+json");
        if (sign)
            request.setRawHeader("X-Signature-256", Connectors::WebhookSource::signature(secret, body));
        std::unique_ptr<QNetworkReply> reply(nam.post(request, body));
        [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000); }();
        return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    };
    for (int i = 0; i < N; ++i)
        QCOMPARE(post(cloudEvent("h", i), true), 202);
    QCOMPARE(post(cloudEvent("h", N), false), 401);
    QTRY_COMPARE_WITH_TIMEOUT(live->snapshot()->events, qint64(N), 10000);
    QCOMPARE(live->source().counters().handedOver.load(), qint64(N));
    QTRY_COMPARE_WITH_TIMEOUT(live->sourceStatus(), QStringLiteral("live"), 5000);

    const QString settings = settingsText();
    QVERIFY(settings.contains(u"webhook")); // the other fields were kept
    QVERIFY(!settings.contains(QString::fromUtf8(secret)));
    QVERIFY(!w.windowTitle().contains(QString::fromUtf8(secret)));
    QVERIFY(!w.statusText().contains(QString::fromUtf8(secret)));
    {
        ConnectDialog again(&w);
        QVERIFY(field<QLineEdit>(again.page(QStringLiteral("Webhook")), "secret")->text().isEmpty());
    }

    // connecting again on the same port, without the secret: the running webhook gives way
    connectThroughTheMenu(
        w, QStringLiteral("Webhook"), [&](SourcePage* page) { field<QSpinBox>(page, "port")->setValue(port); });
    QVERIFY2(w.errorText().isEmpty(), qPrintable(w.errorText()));
    live = dynamic_cast<LiveSession*>(w.session());
    QVERIFY(live);
    QCOMPARE(static_cast<const Connectors::WebhookSource&>(live->source()).port(), port);
    QCOMPARE(post(cloudEvent("again", 1), false), 202);
    QTRY_COMPARE_WITH_TIMEOUT(live->snapshot()->events, qint64(1), 10000);
    w.close();
}

// A WebSocket server sending 50 messages to each client: exactly 50 events. The URL's token is
// saved as *** and never shown.
void TestConnectDialogs::webSocketThroughTheDialog()
{
    constexpr int N = 50;
    QWebSocketServer server(QStringLiteral("test"), QWebSocketServer::NonSecureMode);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    int clients = 0;
    connect(&server, &QWebSocketServer::newConnection, &server, [&] {
        while (QWebSocket* peer = server.nextPendingConnection()) {
            ++clients;
            for (int i = 0; i < N; ++i)
                peer->sendTextMessage(QString::fromUtf8(cloudEvent("w", i)));
        }
    });
    const QString url = QStringLiteral("ws://127.0.0.1:%1/prices?token=s3cr3t-t0ken").arg(server.serverPort());
    MainWindow w;
    w.show();
    connectThroughTheMenu(
        w, QStringLiteral("WebSocket"), [&](SourcePage* page) { field<QLineEdit>(page, "url")->setText(url); });
    QVERIFY2(w.errorText().isEmpty(), qPrintable(w.errorText()));
    auto* live = dynamic_cast<LiveSession*>(w.session());
    QVERIFY(live);
    QCOMPARE(live->kind(), u"WebSocket");
    QTRY_COMPARE_WITH_TIMEOUT(live->snapshot()->events, qint64(N), 10000);
    QCOMPARE(clients, 1);
    QTRY_COMPARE_WITH_TIMEOUT(live->sourceStatus(), QStringLiteral("live"), 5000);
    QTRY_VERIFY2_WITH_TIMEOUT(w.statusText().startsWith(u"WebSocket live"), qPrintable(w.statusText()), 5000);

    QVERIFY(!settingsText().contains(u"s3cr3t-t0ken"));
    QVERIFY(!w.windowTitle().contains(u"s3cr3t-t0ken"));
    ConnectDialog again(&w);
    QCOMPARE(field<QLineEdit>(again.page(QStringLiteral("WebSocket")), "url")->text(),
        QStringLiteral("ws://127.0.0.1:%1/prices?token=***").arg(server.serverPort()));
    w.close();
}

// A URL polled every 100 ms that always answers the same 30 events and one element that is no
// event: exactly 31 recorded, and the status says one is kept unparsed.
void TestConnectDialogs::httpPollThroughTheDialog()
{
    constexpr int N = 30;
    QByteArray body = "[";
    for (int i = 0; i < N; ++i)
        body += cloudEvent("p", i) + ',';
    body += R"("not an event"])";
    HttpPeer peer(body);
    QVERIFY(peer.port() != 0);
    MainWindow w;
    w.show();
    connectThroughTheMenu(w, QStringLiteral("HTTP poll"), [&](SourcePage* page) {
        field<QLineEdit>(page, "url")->setText(QStringLiteral("http://127.0.0.1:%1/feed").arg(peer.port()));
        field<QDoubleSpinBox>(page, "interval")->setValue(0.1);
    });
    QVERIFY2(w.errorText().isEmpty(), qPrintable(w.errorText()));
    auto* live = dynamic_cast<LiveSession*>(w.session());
    QVERIFY(live);
    QCOMPARE(live->kind(), u"HTTP poll");
    QTRY_VERIFY_WITH_TIMEOUT(peer.requests >= 3, 10000); // polled again and again...
    QTRY_COMPARE_WITH_TIMEOUT(live->snapshot()->events, qint64(N + 1), 10000); // ...each event recorded once
    QTRY_COMPARE_WITH_TIMEOUT(live->sourceStatus(), QStringLiteral("live · 1 unparsed"), 5000);
    QTRY_VERIFY2_WITH_TIMEOUT(
        w.statusText().startsWith(u"HTTP poll live · 1 unparsed · "), qPrintable(w.statusText()), 5000);
    QCOMPARE(QSettings().value(QStringLiteral("poll/interval")).toDouble(), 0.1);
    w.close();
}

// The Kafka page of the same dialog, with a properties file: 100 records from librdkafka's mock
// cluster, exactly 100 events; the Java-only property in the file is named in the banner.
void TestConnectDialogs::kafkaThroughTheDialog()
{
    constexpr int N = 100;
    QString error;
    auto mock = Connectors::KafkaMockCluster::start(1, &error);
    QVERIFY2(mock, qPrintable(error));
    QVERIFY2(mock->createTopic("shop.orders", 2, &error), qPrintable(error));
    for (int i = 0; i < N; ++i)
        QVERIFY2(mock->produce("shop.orders", "o" + QByteArray::number(i % 10), cloudEvent("k", i), {}, &error, i % 2),
            qPrintable(error));
    QVERIFY2(mock->flush(10000, &error), qPrintable(error));
    // a consumer group of the system watched, 20 + 10 behind the ends of the two partitions
    QVERIFY2(mock->commitOffsets("billing", "shop.orders", { N / 2 - 20, N / 2 - 10 }, &error), qPrintable(error));
    const QString properties = m_dir.filePath(QStringLiteral("client.properties"));
    QFile f(properties);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("# a Java client's file\nkey.deserializer=org.apache.kafka.common.serialization.StringDeserializer\n");
    f.close();

    MainWindow w;
    w.show();
    connectThroughTheMenu(w, QStringLiteral("Kafka"), [&](SourcePage* page) {
        field<QLineEdit>(page, "servers")->setText(QString::fromUtf8(mock->bootstrap()));
        field<QLineEdit>(page, "topics")->setText(QStringLiteral("shop.orders"));
        field<QLineEdit>(page, "propertiesFile")->setText(properties);
        auto* startAt = field<QComboBox>(page, "startAt");
        startAt->setCurrentIndex(startAt->findData(KafkaPage::Beginning));
        field<QLineEdit>(page, "watchGroups")->setText(QStringLiteral("billing"));
    });
    auto* live = dynamic_cast<LiveSession*>(w.session());
    QVERIFY2(live, qPrintable(w.errorText()));
    QCOMPARE(live->kind(), u"Kafka");
    QVERIFY2(w.errorText().contains(u"key.deserializer"), qPrintable(w.errorText()));
    QTRY_COMPARE_WITH_TIMEOUT(live->snapshot()->events, qint64(N), 30000);
    // the watched group's lag on the topology: the edge from the topic to the group's service
    // (the mock cannot list or describe groups: the status says how the group is watched)
    QTRY_VERIFY2_WITH_TIMEOUT(live->sourceStatus().startsWith(u"live · consumer groups: ")
                                  && live->sourceStatus().endsWith(u"watching billing by their committed offsets, members unknown"),
                              qPrintable(live->sourceStatus()), 15000);
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->view()->edgeBadgeText(QStringLiteral("c:shop.orders"), QStringLiteral("s:billing")),
                              QStringLiteral("lag 30"), 15000);
    w.close(); // stops the source before the cluster goes
}

void TestConnectDialogs::badSettingsShowInTheBanner_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("fieldName");
    QTest::addColumn<QString>("value"); // "PORT IN USE": a port the test listens on
    QTest::addColumn<QString>("expected");
    const QString missing = m_dir.filePath(QStringLiteral("nope.jsonl"));
    // clang-format off
    QTest::newRow("missing file") << "File" << "path" << missing << missing + QStringLiteral(": no such file");
    QTest::newRow("directory") << "File" << "path" << m_dir.path() << QStringLiteral("a directory, not a file");
    QTest::newRow("no file") << "File" << "path" << QString() << QStringLiteral("no file chosen");
    QTest::newRow("port in use") << "Webhook" << "port" << "PORT IN USE" << QStringLiteral("cannot listen on 127.0.0.1:");
    QTest::newRow("bad address") << "Webhook" << "address" << "example.com" << QStringLiteral("must be an IP address");
    QTest::newRow("http for ws") << "WebSocket" << "url" << "http://127.0.0.1:1/x" << QStringLiteral("a WebSocket URL is ws://");
    QTest::newRow("no ws url") << "WebSocket" << "url" << QString() << QStringLiteral("no URL");
    QTest::newRow("ws to poll") << "HTTP poll" << "url" << "ws://127.0.0.1:1/x" << QStringLiteral("a URL to poll is http://");
    QTest::newRow("ws url with a space") << "WebSocket" << "url" << "ws://127.0.0.1:1/a b"
        << QStringLiteral("not a usable URL (Invalid path (character ' ' not permitted)): ws://127.0.0.1:1/a b");
    QTest::newRow("poll url with a space") << "HTTP poll" << "url" << "http://127.0.0.1:1/a b"
        << QStringLiteral("not a usable URL (Invalid path (character ' ' not permitted)): http://127.0.0.1:1/a b");
    QTest::newRow("ws url without a host") << "WebSocket" << "url" << "ws:///x" << QStringLiteral("not a usable URL (no host)");
    QTest::newRow("no kafka servers") << "Kafka" << "servers" << QString() << QStringLiteral("bootstrap servers");
    // clang-format on
}

// The session open stays; the banner names the source and what is wrong.
void TestConnectDialogs::badSettingsShowInTheBanner()
{
    QFETCH(QString, kind);
    QFETCH(QString, fieldName);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    QTcpServer taken; // a port in use
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    const QString good = m_dir.filePath(QStringLiteral("good.jsonl"));
    QFile f(good);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(cloudEvent("g", 1) + '\n');
    f.close();

    MainWindow w;
    w.show();
    ConnectDialog dialog(&w);
    FilePage* file = static_cast<FilePage*>(dialog.page(QStringLiteral("File")));
    field<QLineEdit>(file, "path")->setText(good);
    QVERIFY2(w.connectTo(*file), qPrintable(w.errorText()));
    Session* before = w.session();
    QVERIFY(before);

    SourcePage* page = dialog.page(kind);
    QVERIFY(page);
    if (kind == u"Kafka")
        field<QLineEdit>(page, "topics")->setText(QStringLiteral("orders"));
    if (value == u"PORT IN USE")
        field<QSpinBox>(page, "port")->setValue(taken.serverPort());
    else if (auto* line = page->findChild<QLineEdit*>(fieldName))
        line->setText(value);
    else
        QFAIL("no such field");
    QVERIFY(!w.connectTo(*page));
    QVERIFY2(w.errorText().startsWith(QStringLiteral("Cannot connect to %1: ").arg(kind)), qPrintable(w.errorText()));
    QVERIFY2(w.errorText().contains(expected), qPrintable(w.errorText()));
    QCOMPARE(w.session(), before);
    w.close();
}

// A URL QUrl cannot read: the banner says why and shows it (it showed nothing where the URL
// goes), and the dialog keeps it for the next time (it kept an empty field), with the user info
// and the query blinded, since what QUrl cannot read it cannot redact.
void TestConnectDialogs::badUrlIsSaidAndKeptWithoutSecrets()
{
    MainWindow w;
    w.show();
    ConnectDialog dialog(&w);
    SourcePage* page = dialog.page(QStringLiteral("WebSocket"));
    field<QLineEdit>(page, "url")->setText(QStringLiteral("ws://me:s3cret@127.0.0.1:1/a b?token=t0k"));
    QVERIFY(!w.connectTo(*page));
    const QString shown = QStringLiteral("ws://***@127.0.0.1:1/a b?***");
    QVERIFY2(w.errorText().endsWith(QStringLiteral("not a usable URL (Invalid path (character ' ' not permitted)): ") + shown),
             qPrintable(w.errorText()));
    dialog.setCurrentKind(QStringLiteral("WebSocket"));
    dialog.remember(); // as the window does after a failed connect too
    QVERIFY(!settingsText().contains(u"s3cret") && !settingsText().contains(u"t0k"));
    ConnectDialog again(&w);
    QCOMPARE(field<QLineEdit>(again.page(QStringLiteral("WebSocket")), "url")->text(), shown);
}

// The Kafka page's start time is kept with the other fields (it came back as an hour ago each
// time, so a replay of the same stretch meant typing it again).
void TestConnectDialogs::kafkaStartTimeIsKept()
{
    const QDateTime at(QDate(2026, 11, 1), QTime(12, 34, 56));
    {
        ConnectDialog dialog;
        SourcePage* page = dialog.page(QStringLiteral("Kafka"));
        auto* startAt = field<QComboBox>(page, "startAt");
        startAt->setCurrentIndex(startAt->findData(KafkaPage::Time));
        field<QDateTimeEdit>(page, "startTime")->setDateTime(at);
        dialog.setCurrentKind(QStringLiteral("Kafka"));
        dialog.remember();
    }
    ConnectDialog again;
    SourcePage* page = again.page(QStringLiteral("Kafka"));
    QCOMPARE(field<QComboBox>(page, "startAt")->currentData().toInt(), int(KafkaPage::Time));
    QCOMPARE(field<QDateTimeEdit>(page, "startTime")->dateTime(), at);
}

// Each page rendered, for the eye (docs/images, and FLOWSCOPE_SCREENSHOTS=DIR saves them there).
void TestConnectDialogs::screenshotsOfEveryPage()
{
    const QString out = qEnvironmentVariable("FLOWSCOPE_SCREENSHOTS", m_dir.path());
    ConnectDialog dialog;
    dialog.show();
    for (SourcePage* page : dialog.pages()) {
        dialog.setCurrentKind(page->kind());
        QCoreApplication::processEvents();
        const QImage image = dialog.grab().toImage();
        QVERIFY(image.width() >= 400 && image.height() >= 200);
        const QString name = page->kind().toLower().remove(u' ');
        QVERIFY(image.save(QStringLiteral("%1/connect-%2.png").arg(out, name)));
    }
}

QTEST_MAIN(TestConnectDialogs)
#include "tst_connectdialogs.moc"
