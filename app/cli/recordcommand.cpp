// SPDX-License-Identifier: MIT
#include "cli.h"

#include <engine.h>
#include <flowfile.h>
#include <flowvalues.h>
#include <httppollsource.h>
#include <inspector.h>
#include <jsonlfilesource.h>
#include <kafkagroupwatcher.h>
#include <kafkasource.h>
#include <recording.h>
#include <timeformat.h>
#include <webhooksource.h>
#include <websocketsource.h>

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QThread>
#include <QUrl>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>

namespace FlowScope::Cli {

namespace {

QJsonObject groupsJson(const Connectors::KafkaGroupWatcher& watcher)
{
    QJsonArray facts;
    for (const GroupFact& f : watcher.facts())
        facts.append(QJsonObject { { QStringLiteral("group"), QString::fromUtf8(f.group) },
                                   { QStringLiteral("topic"), QString::fromUtf8(f.topic) },
                                   { QStringLiteral("members"), f.members >= 0 ? QJsonValue(f.members) : QJsonValue() },
                                   { QStringLiteral("lag"), f.lag >= 0 ? QJsonValue(f.lag) : QJsonValue() } });
    return QJsonObject { { QStringLiteral("description"), watcher.describe() },
                         { QStringLiteral("rounds"), watcher.rounds() },
                         { QStringLiteral("error"), watcher.error() },
                         { QStringLiteral("facts"), facts } };
}

// The errors of the first unparsed events recorded (written on a source thread, read at the end).
class BadEvents {
public:
    static constexpr int Max = 10; // as import's bad_lines

    bool wanted() const { return m_count.load(std::memory_order_relaxed) < Max; }
    static QList<QByteArray> errorsIn(const EventBatch& batch)
    {
        QList<QByteArray> errors;
        for (const Event& e : batch)
            if (e.isUnparsed() && errors.size() < Max)
                errors.append(e.error());
        return errors;
    }
    void add(const QList<QByteArray>& errors)
    {
        std::lock_guard lock(m_mutex);
        for (const QByteArray& e : errors)
            if (m_errors.size() < Max)
                m_errors.append(e);
        m_count.store(int(m_errors.size()), std::memory_order_relaxed);
    }
    QList<QByteArray> errors() const
    {
        std::lock_guard lock(m_mutex);
        return m_errors;
    }

private:
    mutable std::mutex m_mutex;
    QList<QByteArray> m_errors;
    std::atomic<int> m_count { 0 };
};

QJsonObject sourceJson(const Connectors::Source& source)
{
    const auto status = source.status();
    const auto& c = source.counters();
    return QJsonObject { { QStringLiteral("description"), source.describe() },
                         { QStringLiteral("state"), Connectors::stateName(status.state) },
                         { QStringLiteral("reason"), status.reason },
                         { QStringLiteral("received"), c.received.load() },
                         { QStringLiteral("recorded"), c.handedOver.load() },
                         { QStringLiteral("refused"), c.refused.load() },
                         { QStringLiteral("unparsed"), c.unparsed.load() },
                         { QStringLiteral("bytes"), c.bytes.load() } };
}

} // namespace

int recordCommand(const QStringList& args)
{
    using Connectors::KafkaSource;
    QCommandLineParser parser;
    const QCommandLineOption kafkaOption(QStringLiteral("kafka"),
                                         QStringLiteral("Read from Kafka: bootstrap servers, host:port[,host:port...]."),
                                         QStringLiteral("SERVERS"));
    const QCommandLineOption webhookOption(
        QStringLiteral("webhook"),
        QStringLiteral("Receive CloudEvents POSTed over HTTP on [HOST:]PORT (HOST default 127.0.0.1; PORT 0: any "
                       "free port, printed on stderr)."),
        QStringLiteral("[HOST:]PORT"));
    const QCommandLineOption secretFileOption(
        QStringLiteral("secret-file"),
        QStringLiteral("Webhook: require X-Signature-256: sha256=HMAC-SHA256(body) with the secret in this file."),
        QStringLiteral("F"));
    const QCommandLineOption maxBodyOption(QStringLiteral("max-body"),
                                           QStringLiteral("Webhook: largest request body in bytes (default 1048576)."),
                                           QStringLiteral("BYTES"));
    const QCommandLineOption websocketOption(
        QStringLiteral("websocket"),
        QStringLiteral("Read events from a WebSocket server: each message one event; reconnects by itself."),
        QStringLiteral("URL"));
    const QCommandLineOption pollOption(
        QStringLiteral("poll"),
        QStringLiteral("Poll an HTTP(S) URL answering a JSON array of events or an Atom feed; each event is "
                       "recorded once."),
        QStringLiteral("URL"));
    const QCommandLineOption intervalOption(QStringLiteral("interval"),
                                            QStringLiteral("--poll: time between requests (default 5s)."),
                                            QStringLiteral("D"));
    const QCommandLineOption channelOption(
        QStringLiteral("channel"),
        QStringLiteral("--websocket, --poll: the events' channel (default: the URL's path without its leading /)."),
        QStringLiteral("NAME"));
    const QCommandLineOption followOption(
        QStringLiteral("follow"),
        QStringLiteral("Follow a JSONL / kcat -J file as it grows (tail -F); --from beginning (default) or end."),
        QStringLiteral("FILE"));
    const QCommandLineOption topicOption(QStringLiteral("topic"),
                                         QStringLiteral("Topic to read; ^REGEX for every matching topic. Repeatable."),
                                         QStringLiteral("T"));
    const QCommandLineOption fromOption(
        QStringLiteral("from"),
        QStringLiteral("Where to start: beginning, end, stored (group offsets), an RFC 3339 time, or a duration "
                       "such as 15m meaning that long ago (default: end; stored with --group). --follow: "
                       "beginning (default) or end."),
        QStringLiteral("WHERE"));
    const QCommandLineOption groupOption(
        QStringLiteral("group"),
        QStringLiteral("Consume as this consumer group and commit what was recorded (default: assign-only, "
                       "which joins no group and commits nothing)."),
        QStringLiteral("G"));
    const QCommandLineOption groupsOption(
        QStringLiteral("groups"),
        QStringLiteral("Kafka: watch the consumer groups of the recorded topics (read-only): each group "
                       "consuming a topic shows in the topology as a consumes edge with its lag and members. "
                       "Live only, not recorded."));
    const QCommandLineOption watchGroupOption(
        QStringLiteral("watch-group"),
        QStringLiteral("Kafka: watch only this consumer group (implies --groups); where the cluster does not list "
                       "groups, the ones to watch. Repeatable."),
        QStringLiteral("G"));
    const QCommandLineOption groupsIntervalOption(
        QStringLiteral("groups-interval"), QStringLiteral("--groups: time between two looks (default 5s)."),
        QStringLiteral("D"));
    const QCommandLineOption configOption(
        QStringLiteral("config"), QStringLiteral("Client properties file (security.protocol, sasl.*, ssl.*, ...)."),
        QStringLiteral("FILE"));
    const QCommandLineOption propertyOption(QStringLiteral("property"),
                                            QStringLiteral("One client property, applied after --config. Repeatable."),
                                            QStringLiteral("KEY=VALUE"));
    const QCommandLineOption flowOption(QStringLiteral("flow"), QStringLiteral("Flow file for the projections."),
                                        QStringLiteral("FLOW"));
    const QCommandLineOption maxOption(QStringLiteral("max-events"), QStringLiteral("Stop after N events."),
                                       QStringLiteral("N"));
    const QCommandLineOption durationOption(QStringLiteral("duration"), QStringLiteral("Stop after this long."),
                                            QStringLiteral("D"));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Recording to write (required)."),
                                       QStringLiteral("REC"));
    const QCommandLineOption forceOption(QStringLiteral("force"), QStringLiteral("Replace REC if it exists."));
    const QCommandLineOption jsonOption(
        QStringLiteral("json"), QStringLiteral("Print one JSON object: what inspect --json prints, plus source."));
    parser.addOptions({ kafkaOption, webhookOption, secretFileOption, maxBodyOption, websocketOption, pollOption,
                        intervalOption, channelOption, followOption, topicOption, fromOption, groupOption,
                        groupsOption, watchGroupOption, groupsIntervalOption, configOption, propertyOption,
                        flowOption, maxOption, durationOption, outOption, forceOption, jsonOption });
    if (!parseArguments(parser, QStringLiteral("record"),
                        QStringLiteral("Records a live source into a new recording until Ctrl-C, --max-events or "
                                       "--duration."),
                        args, 0, 0))
        return Usage;
    const QString cmd = programName() + QStringLiteral(" record");
    const QString rec = parser.value(outOption);
    if (rec.isEmpty()) {
        err(cmd + QStringLiteral(": --out REC is required\n"));
        return Usage;
    }
    const int sources = int(parser.isSet(kafkaOption)) + int(parser.isSet(webhookOption))
        + int(parser.isSet(websocketOption)) + int(parser.isSet(pollOption)) + int(parser.isSet(followOption));
    if (sources != 1) {
        err(cmd + QStringLiteral(": one source is required: --kafka SERVERS --topic T, --webhook [HOST:]PORT, "
                                 "--websocket URL, --poll URL or --follow FILE\n"));
        return Usage;
    }
    // An option of another source would do nothing: a usage error, not silence (a --secret-file
    // given to --follow would leave a webhook meant to be signed unchecked elsewhere).
    struct Belongs {
        const QCommandLineOption* option;
        std::initializer_list<const QCommandLineOption*> sources;
        const char* with;
    };
    const Belongs belongs[] = {
        { &secretFileOption, { &webhookOption }, "--webhook" },
        { &maxBodyOption, { &webhookOption }, "--webhook" },
        { &intervalOption, { &pollOption }, "--poll" },
        { &channelOption, { &websocketOption, &pollOption }, "--websocket or --poll" },
        { &fromOption, { &kafkaOption, &followOption }, "--kafka or --follow" },
        { &topicOption, { &kafkaOption }, "--kafka" },
        { &groupOption, { &kafkaOption }, "--kafka" },
        { &configOption, { &kafkaOption }, "--kafka" },
        { &propertyOption, { &kafkaOption }, "--kafka" },
        { &groupsOption, { &kafkaOption }, "--kafka" },
        { &watchGroupOption, { &kafkaOption }, "--kafka" },
        { &groupsIntervalOption, { &kafkaOption }, "--kafka" },
    };
    for (const Belongs& b : belongs) {
        if (!parser.isSet(*b.option)
            || std::any_of(b.sources.begin(), b.sources.end(), [&](const auto* o) { return parser.isSet(*o); }))
            continue;
        err(cmd + QStringLiteral(": --%1 goes with %2\n").arg(b.option->names().constFirst(), QLatin1StringView(b.with)));
        return Usage;
    }
    const bool watchGroups
        = parser.isSet(groupsOption) || parser.isSet(watchGroupOption) || parser.isSet(groupsIntervalOption);
    int groupsIntervalMs = 5000;
    if (parser.isSet(groupsIntervalOption)) {
        const auto d = Duration::parse(parser.value(groupsIntervalOption));
        if (!d || d->micros < 100000 || d->micros / 1000 > std::numeric_limits<int>::max()) {
            err(cmd + QStringLiteral(": --groups-interval takes a duration such as 5s (at least 100ms): %1\n")
                          .arg(parser.value(groupsIntervalOption)));
            return Usage;
        }
        groupsIntervalMs = int(d->micros / 1000);
    }
    QString error;
    std::unique_ptr<Connectors::Source> owned;
    Connectors::WebhookSource* webhook = nullptr;
    KafkaSource* kafka = nullptr;
    KafkaSource::Options kafkaOptions;
    // URLs are shown without their credentials (Connectors::redactedUrl) in every message.
    auto url = [&](const QCommandLineOption& option, std::initializer_list<const char*> schemes, QUrl* result) {
        const QString text = parser.value(option);
        *result = QUrl(text, QUrl::StrictMode);
        const QString scheme = result->scheme().toLower();
        const bool known = std::any_of(schemes.begin(), schemes.end(),
                                       [&](const char* s) { return scheme == QLatin1StringView(s); });
        if (!result->isValid() || !known || result->host().isEmpty()) {
            QStringList names;
            for (const char* s : schemes)
                names.append(QLatin1StringView(s) + QStringLiteral("://"));
            const QString shown = Connectors::redactedUrlText(text); // never a credential
            if (known) { // the scheme is right: say what is not
                err(cmd + QStringLiteral(": --%1: not a usable URL (%2): %3\n")
                              .arg(option.names().first(), Connectors::urlProblem(text), shown));
                return false;
            }
            err(cmd + QStringLiteral(": --%1 takes a URL starting with %2: %3\n")
                          .arg(option.names().first(), names.join(QStringLiteral(" or ")), shown));
            return false;
        }
        return true;
    };
    if (parser.isSet(websocketOption)) {
        Connectors::WebSocketSource::Options o;
        if (!url(websocketOption, { "ws", "wss" }, &o.url))
            return Usage;
        if (parser.isSet(channelOption))
            o.channel = parser.value(channelOption).toUtf8();
        owned = std::make_unique<Connectors::WebSocketSource>(o);
    } else if (parser.isSet(pollOption)) {
        Connectors::HttpPollSource::Options o;
        if (!url(pollOption, { "http", "https" }, &o.url))
            return Usage;
        if (parser.isSet(channelOption))
            o.channel = parser.value(channelOption).toUtf8();
        if (parser.isSet(intervalOption)) {
            const auto d = Duration::parse(parser.value(intervalOption));
            if (!d || d->micros < 1000 || d->micros / 1000 > std::numeric_limits<int>::max()) {
                err(cmd + QStringLiteral(": --interval takes a duration such as 5s (at least 1ms): %1\n")
                              .arg(parser.value(intervalOption)));
                return Usage;
            }
            o.intervalMs = int(d->micros / 1000);
        }
        owned = std::make_unique<Connectors::HttpPollSource>(o);
    } else if (parser.isSet(followOption)) {
        Connectors::JsonlFileSource::Options o;
        o.path = parser.value(followOption);
        if (parser.isSet(fromOption)) {
            const QString from = parser.value(fromOption);
            if (from != u"beginning" && from != u"end") {
                err(cmd + QStringLiteral(": --follow takes --from beginning or --from end: %1\n").arg(from));
                return Usage;
            }
            o.fromEnd = from == u"end";
        }
        // A name mistyped would otherwise wait forever for the file to appear.
        if (const QString problem = Connectors::JsonlFileSource::checkFile(o.path); !problem.isEmpty()) {
            err(cmd + QStringLiteral(": ") + problem + u'\n');
            return Failed;
        }
        owned = std::make_unique<Connectors::JsonlFileSource>(o);
    } else if (parser.isSet(webhookOption)) {
        Connectors::WebhookSource::Options w;
        const QString spec = parser.value(webhookOption);
        const qsizetype colon = spec.lastIndexOf(u':');
        const QString host = colon < 0 ? QString() : spec.left(colon);
        bool ok = false;
        const uint port = spec.mid(colon + 1).toUInt(&ok);
        if (!ok || port > 65535) {
            err(cmd + QStringLiteral(": --webhook takes [HOST:]PORT: %1\n").arg(spec));
            return Usage;
        }
        w.port = quint16(port);
        if (!host.isEmpty()) {
            if (!Connectors::WebhookSource::readAddress(host, &w.address)) {
                err(cmd + QStringLiteral(": --webhook: HOST must be an IP address (0.0.0.0 for all): %1\n").arg(host));
                return Usage;
            }
        }
        if (parser.isSet(secretFileOption)) {
            QFile f(parser.value(secretFileOption));
            if (!f.open(QIODevice::ReadOnly)) {
                err(cmd + QStringLiteral(": %1: %2\n").arg(f.fileName(), f.errorString()));
                return Failed;
            }
            w.secret = f.readAll().trimmed(); // a trailing newline is not part of the secret
            if (w.secret.isEmpty()) {
                err(cmd + QStringLiteral(": %1: the secret is empty\n").arg(f.fileName()));
                return Failed;
            }
        }
        if (parser.isSet(maxBodyOption)) {
            w.maxBodyBytes = parser.value(maxBodyOption).toLongLong(&ok);
            if (!ok || w.maxBodyBytes <= 0) {
                err(cmd + QStringLiteral(": --max-body takes a positive number of bytes\n"));
                return Usage;
            }
        }
        auto s = std::make_unique<Connectors::WebhookSource>(w);
        webhook = s.get();
        owned = std::move(s);
    }
    if (!owned) {
        KafkaSource::Options options;
        options.bootstrapServers = parser.value(kafkaOption);
        for (const QString& t : parser.values(topicOption))
            options.topics.append(t);
        if (options.topics.isEmpty()) {
            err(cmd + QStringLiteral(": --kafka needs at least one --topic\n"));
            return Usage;
        }
        options.group = parser.value(groupOption);
        options.startAt = options.group.isEmpty() ? KafkaSource::StartAt::End : KafkaSource::StartAt::Stored;
        if (parser.isSet(fromOption)) {
            const QString from = parser.value(fromOption);
            if (from == u"beginning") {
                options.startAt = KafkaSource::StartAt::Beginning;
            } else if (from == u"end") {
                options.startAt = KafkaSource::StartAt::End;
            } else if (from == u"stored") {
                options.startAt = KafkaSource::StartAt::Stored;
            } else if (const auto t = TimeFormat::parseRfc3339(from.toUtf8())) {
                options.startAt = KafkaSource::StartAt::Time;
                options.startTime = *t;
            } else if (const auto ago = Duration::parse(from)) {
                options.startAt = KafkaSource::StartAt::Time;
                options.startTime = TimeFormat::nowMicros() - ago->micros;
            } else {
                err(cmd + QStringLiteral(": --from takes beginning, end, stored, an RFC 3339 time or a duration: %1\n")
                              .arg(from));
                return Usage;
            }
        }
        if (const int rc = kafkaProperties(cmd, parser, configOption, propertyOption, &options.properties); rc != Ok)
            return rc;
        kafkaOptions = options;
        auto k = std::make_unique<KafkaSource>(options);
        kafka = k.get();
        owned = std::move(k);
    }
    qint64 maxEvents = 0;
    if (parser.isSet(maxOption)) {
        bool ok = false;
        maxEvents = parser.value(maxOption).toLongLong(&ok);
        if (!ok || maxEvents <= 0) {
            err(cmd + QStringLiteral(": --max-events takes a positive whole number\n"));
            return Usage;
        }
    }
    qint64 durationMs = 0;
    if (parser.isSet(durationOption)) {
        const auto d = Duration::parse(parser.value(durationOption));
        if (!d || d->micros <= 0) {
            err(cmd + QStringLiteral(": --duration takes a duration such as 30s\n"));
            return Usage;
        }
        durationMs = d->micros / 1000;
    }
    std::shared_ptr<const Flow> flow;
    if (parser.isSet(flowOption)) {
        flow = loadFlow(QStringLiteral("record"), parser.value(flowOption));
        if (!flow)
            return Failed;
    }
    if (const int rc = checkOutput(QStringLiteral("record"), QStringLiteral("--out"), rec, parser.isSet(forceOption),
                                   { parser.value(flowOption), parser.value(followOption) });
        rc != Ok)
        return rc;

    auto writer = RecordingWriter::create(rec, &error, WriteMode::Live);
    if (!writer) {
        err(cmd + QStringLiteral(": ") + error + u'\n');
        return Failed;
    }
    Engine engine(flow, writer.get(), commandEngineOptions());
    engine.start();
    Connectors::Source& source = *owned;
    // Push sources cannot make their peer wait: a full engine refuses (503 for the webhook) and
    // the source counts it. Pull sources wait for room (Engine::push), through a sink that also
    // keeps the first unparsed events' errors for the summary, as import lists its first bad
    // lines; the errors say where each event came from (topic[partition]@offset, file:line, URL).
    BadEvents bad;
    if (webhook || parser.isSet(websocketOption))
        source.handOverTo(engine);
    else
        source.setSink(
            [&engine, &bad](EventBatch&& batch) {
                const QList<QByteArray> errors = bad.wanted() ? BadEvents::errorsIn(batch) : QList<QByteArray>();
                if (!engine.push(std::move(batch)))
                    return false;
                bad.add(errors); // recorded
                return true;
            },
            [&engine] { return engine.flush(); });
    source.setLimit(maxEvents);
    if (!source.start(&error)) {
        engine.stop();
        writer->finish(&error);
        err(cmd + QStringLiteral(": ") + error + u'\n');
        return Failed;
    }
    if (kafka && !kafka->skippedProperties().isEmpty())
        err(cmd + QStringLiteral(": ignored client properties librdkafka does not know or FlowScope sets itself: %1\n")
                      .arg(kafka->skippedProperties().join(QStringLiteral(", "))));
    // Consumer groups: their facts go to the engine, which lays them over the topology (not
    // recorded). FlowScope's own group (--group) is not part of the system watched.
    std::unique_ptr<Connectors::KafkaGroupWatcher> watcher;
    if (kafka && watchGroups) {
        auto w = Connectors::KafkaGroupWatcher::forSource(kafkaOptions.bootstrapServers, kafkaOptions.topics,
                                                          kafkaOptions.group, kafkaOptions.properties);
        w.groups = parser.values(watchGroupOption);
        w.intervalMs = groupsIntervalMs;
        watcher = std::make_unique<Connectors::KafkaGroupWatcher>(w);
        watcher->setHandler([&engine](const GroupFacts& facts) { engine.setGroupFacts(facts); });
        if (!watcher->start(&error)) {
            const QString why = error; // before finish() writes its own
            source.stop();
            engine.stop();
            writer->finish(&error);
            err(cmd + QStringLiteral(": consumer groups: ") + why + u'\n');
            return Failed;
        }
    }
    QString groupsProblem; // shown when it changes, not every round
    if (webhook)
        err(cmd + QStringLiteral(": listening on %1\n").arg(source.describe()));

    const bool progress = stderrIsTerminal();
    const auto& interrupted = interruptFlag();
    QElapsedTimer wall;
    wall.start();
    qint64 lastCount = 0, lastMs = 0;
    double rate = 0;
    while (!interrupted.load() && !source.finished() && !engine.failed()
           && (durationMs == 0 || wall.elapsed() < durationMs)) {
        QThread::msleep(10); // the end (--max-events) is seen within 10 ms; progress every 500 ms
        if (watcher && watcher->error() != groupsProblem) {
            groupsProblem = watcher->error();
            if (!groupsProblem.isEmpty())
                err((progress ? QStringLiteral("\r\x1b[K") : QString()) + cmd + QStringLiteral(": consumer groups: ")
                    + groupsProblem + u'\n');
        }
        if (!progress)
            continue;
        const qint64 ms = wall.elapsed();
        if (ms - lastMs < 500)
            continue;
        const qint64 n = source.counters().handedOver.load();
        rate = double(n - lastCount) * 1000.0 / double(ms - lastMs);
        lastCount = n;
        lastMs = ms;
        const auto status = source.status();
        err(QStringLiteral("\r\x1b[K%1: %2 events, %3/s, %4 unparsed, %5 refused%6")
                .arg(Connectors::stateName(status.state))
                .arg(n)
                .arg(qint64(rate))
                .arg(source.counters().unparsed.load())
                .arg(source.counters().refused.load())
                .arg(status.reason.isEmpty() ? QString() : QStringLiteral(" (") + status.reason + u')'));
    }
    if (progress)
        err(QStringLiteral("\r\x1b[K"));
    const auto beforeStop = source.status();
    if (watcher) {
        watcher->stop(); // its first look always completes, so that the result shows the groups
        if (watcher->error() != groupsProblem && !watcher->error().isEmpty())
            err(cmd + QStringLiteral(": consumer groups: ") + watcher->error() + u'\n');
    }
    source.stop(); // hands over what was read (and commits it, with a group)
    for (const QString& warning : source.warnings()) // what it read but did not record
        err(cmd + QStringLiteral(": ") + warning + u'\n');
    engine.flush();
    engine.stop();
    const double seconds = double(wall.nsecsElapsed()) / 1e9;
    const bool ok = finishRecording(cmd, *writer, engine, source.describe());

    const auto status = source.status();
    QJsonObject result = recordedStateJson(engine, writer.get());
    QJsonObject sourceObject = sourceJson(source);
    // the state it was in when asked to stop: "retrying" says why nothing (more) arrived
    sourceObject.insert(QStringLiteral("state_at_stop"), Connectors::stateName(beforeStop.state));
    sourceObject.insert(QStringLiteral("reason_at_stop"), beforeStop.reason);
    const QJsonObject details = source.details();
    for (auto it = details.begin(); it != details.end(); ++it)
        sourceObject.insert(it.key(), it.value());
    result.insert(QStringLiteral("source"), sourceObject);
    const QList<QByteArray> badErrors = bad.errors();
    {
        QJsonArray badJson;
        for (const QByteArray& e : badErrors)
            badJson.append(QJsonObject { { QStringLiteral("error"), QString::fromUtf8(e) } });
        result.insert(QStringLiteral("bad_events"), badJson);
    }
    if (watcher)
        result.insert(QStringLiteral("groups"), groupsJson(*watcher));
    result.insert(QStringLiteral("recording"), rec);
    result.insert(QStringLiteral("seconds"), seconds);
    if (parser.isSet(jsonOption)) {
        out(QJsonDocument(result).toJson(QJsonDocument::Indented));
    } else {
        const qint64 n = writer->count(); // stored: after a failed write, fewer than handed over
        out(QStringLiteral("%1: %2 events recorded (%3 unparsed) in %4 s, %5/s\n")
                .arg(rec)
                .arg(n)
                .arg(source.counters().unparsed.load())
                .arg(seconds, 0, 'f', 2)
                .arg(qint64(seconds > 0 ? double(n) / seconds : 0)));
        out(QStringLiteral("source: %1\n").arg(source.describe()));
        for (const QString& line : source.summary())
            out(line + u'\n');
        if (!badErrors.isEmpty()) {
            out(source.counters().unparsed.load() > badErrors.size() ? QStringLiteral("first unparsed events:\n")
                                                                      : QStringLiteral("unparsed events:\n"));
            for (const QByteArray& e : badErrors)
                out(QStringLiteral("  %1\n").arg(QString::fromUtf8(e)));
        }
        out(QStringLiteral("\n") + Inspector::toText(result));
    }
    if (beforeStop.state == Connectors::SourceState::Retrying || beforeStop.state == Connectors::SourceState::Connecting)
        err(cmd + QStringLiteral(": the source was %1 when stopped%2\n")
                      .arg(Connectors::stateName(beforeStop.state),
                           beforeStop.reason.isEmpty() ? QString() : QStringLiteral(": ") + beforeStop.reason));
    if (!status.reason.isEmpty() && status.state == Connectors::SourceState::Stopped && status.reason != engine.error()) {
        err(cmd + QStringLiteral(": the source failed: ") + status.reason + u'\n');
        return Failed;
    }
    if (!ok)
        return Failed;
    return interrupted.load() ? Interrupted : Ok;
}

} // namespace FlowScope::Cli
