// SPDX-License-Identifier: MIT
#include "cli.h"

#include <flowvalues.h>
#include <kafkasink.h>
#include <kafkasource.h>
#include <recording.h>
#include <replaychaos.h>
#include <replayclock.h>

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include <algorithm>

namespace FlowScope::Cli {

namespace {

constexpr qint64 ReadChunk = 4096; // events read from the recording at a time

} // namespace

// flowscope replay REC --to-kafka SERVERS ...: re-publishes a recording, paced by its event time
// (ReplayClock) or flat out, through the seeded chaos stages, into Kafka (docs/cli.md "replay").
int replayCommand(const QStringList& args)
{
    using Connectors::ChaosOptions;
    using Connectors::KafkaSink;
    using Connectors::ReplayChaos;
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("REC"), QStringLiteral("Recording to replay."));
    const QCommandLineOption kafkaOption(QStringLiteral("to-kafka"),
        QStringLiteral("Publish into Kafka: bootstrap servers, host:port[,...]."), QStringLiteral("SERVERS"));
    const QCommandLineOption mapOption(QStringLiteral("topic-map"),
        QStringLiteral("Publish channel A's events to topic B (A=B); *=B for every channel without a mapping "
                       "(events without a channel included). Repeatable. Default: the recorded topic."),
        QStringLiteral("A=B"));
    const QCommandLineOption speedOption(QStringLiteral("speed"),
        QStringLiteral("max (default: as fast as possible) or Nx of event time."), QStringLiteral("max|Nx"),
        QStringLiteral("max"));
    const QCommandLineOption chaosOption(QStringLiteral("chaos"),
        QStringLiteral("Disturb the stream: dup=P (send a copy), drop=P (skip), delay=D (hold each event back a "
                       "random 0..D of event time), reorder=N (shuffle windows of N events per key)."),
        QStringLiteral("SPEC"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Seed of the chaos (default 1)."),
        QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption configOption(QStringLiteral("config"),
        QStringLiteral("Client properties file (security.protocol, sasl.*, ssl.*, ...)."), QStringLiteral("FILE"));
    const QCommandLineOption propertyOption(QStringLiteral("property"),
        QStringLiteral("One client property, applied after --config. Repeatable."), QStringLiteral("KEY=VALUE"));
    const QCommandLineOption timeoutOption(QStringLiteral("delivery-timeout"),
        QStringLiteral("How long to wait at the end for the last delivery reports (default 60s)."), QStringLiteral("D"),
        QStringLiteral("60s"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the report as one JSON object."));
    parser.addOptions({ kafkaOption, mapOption, speedOption, chaosOption, seedOption, configOption, propertyOption,
        timeoutOption, jsonOption });
    if (!parseArguments(parser, QStringLiteral("replay"),
            QStringLiteral("Re-publishes a recording into Kafka, keeping keys, headers and per-key order, "
                           "optionally with seeded chaos; reports what it sent."),
            args, 1, 1))
        return Usage;
    const QString cmd = programName() + QStringLiteral(" replay");
    const QString rec = parser.positionalArguments().constFirst();
    if (!parser.isSet(kafkaOption)) {
        err(cmd
            + QStringLiteral(": --to-kafka SERVERS is required (replaying into the window is `flowscope gui REC`)\n"));
        return Usage;
    }

    KafkaSink::Options options;
    options.bootstrapServers = parser.value(kafkaOption).trimmed();
    if (options.bootstrapServers.isEmpty()) {
        err(cmd + QStringLiteral(": --to-kafka takes bootstrap servers, host:port[,host:port...]\n"));
        return Usage;
    }
    for (const QString& m : parser.values(mapOption)) {
        const qsizetype eq = m.indexOf(u'=');
        if (eq <= 0 || eq == m.size() - 1) {
            err(cmd + QStringLiteral(": --topic-map takes FROM=TO (or *=TO): %1\n").arg(m));
            return Usage;
        }
        options.topicMap.insert(m.left(eq).trimmed().toUtf8(), m.mid(eq + 1).trimmed().toUtf8());
    }
    double speed = Sim::ReplayClock::Unpaced;
    if (const QString s = parser.value(speedOption); s != u"max") {
        const auto f = parseFactor(s);
        if (!f || *f <= 0) {
            err(cmd + QStringLiteral(": --speed takes max or a factor such as 10x: %1\n").arg(f ? s : f.error()));
            return Usage;
        }
        speed = *f;
    }
    QString error;
    ChaosOptions chaosOptions;
    if (parser.isSet(chaosOption)) {
        const auto parsed = ChaosOptions::parse(parser.value(chaosOption), &error);
        if (!parsed) {
            err(cmd + QStringLiteral(": ") + error + u'\n');
            return Usage;
        }
        chaosOptions = *parsed;
    }
    {
        bool ok = false;
        chaosOptions.seed = parser.value(seedOption).toULongLong(&ok);
        if (!ok) {
            err(cmd + QStringLiteral(": --seed takes a whole number\n"));
            return Usage;
        }
    }
    const auto timeout = Duration::parse(parser.value(timeoutOption));
    if (!timeout || timeout->micros <= 0) {
        err(cmd + QStringLiteral(": --delivery-timeout takes a duration such as 60s\n"));
        return Usage;
    }
    if (const int rc = kafkaProperties(cmd, parser, configOption, propertyOption, &options.properties); rc != Ok)
        return rc;

    auto recording = Recording::open(rec, &error);
    if (!recording) {
        err(cmd + QStringLiteral(": ") + error + u'\n');
        return Failed;
    }
    // Ctrl-C stops the reading at once, and while librdkafka's queue is full it gives up the
    // wait for room; the messages already handed over still get their delivery reports, until
    // the next Ctrl-C.
    int interruptsBeforeFlush = 0;
    options.cancelled = [&interruptsBeforeFlush] { return interruptCount() > interruptsBeforeFlush; };
    KafkaSink sink(options);
    if (!sink.start(&error)) { // a client property librdkafka refuses: a value that is not one
        err(cmd + QStringLiteral(": ") + error + u'\n');
        return Usage;
    }
    if (!sink.skippedProperties().isEmpty())
        err(cmd
            + QStringLiteral(": ignored client properties librdkafka does not know or a producer does not use: %1\n")
                  .arg(sink.skippedProperties().join(QStringLiteral(", "))));

    ReplayChaos chaos(chaosOptions);
    Sim::ReplayClock clock;
    clock.setSpeed(speed);
    const bool paced = speed != Sim::ReplayClock::Unpaced;
    bool clockStarted = false;
    const auto& interrupted = interruptFlag();
    const bool progress = stderrIsTerminal();
    QElapsedTimer wall;
    wall.start();
    qint64 lastProgressMs = 0;

    // A recording with retention keeps seqs firstSeq() to eventCount().
    const qint64 firstSeq = recording->firstSeq(), lastSeq = recording->eventCount();
    const qint64 total = lastSeq - firstSeq + 1;
    auto showProgress = [&] {
        if (!progress || wall.elapsed() - lastProgressMs < 500)
            return;
        lastProgressMs = wall.elapsed();
        const auto& c = sink.counters();
        err(QStringLiteral("\r\x1b[K%1 of %2 events read, %3 sent, %4 delivered, %5 errors")
                .arg(chaos.counts().events)
                .arg(total)
                .arg(c.produced.load())
                .arg(c.delivered.load())
                .arg(c.deliveryErrors.load()));
    };
    // Waits (serving delivery reports) until the clock reaches `eventTime`. False when interrupted.
    auto waitUntil = [&](qint64 eventTime) {
        if (!paced || eventTime == NoTime)
            return !interrupted.load();
        if (!clockStarted) {
            clock.start(eventTime);
            clockStarted = true;
        }
        for (;;) {
            if (interrupted.load())
                return false;
            const qint64 wait = clock.waitFor(eventTime);
            if (wait <= 0)
                return true;
            sink.poll(int(std::clamp<qint64>(wait / 1000, 1, 100)));
            showProgress();
        }
    };
    auto release = [&](qint64 upTo) {
        Event e;
        while (chaos.takeDue(upTo, &e))
            sink.send(e); // a failure is counted by the sink, a give-up after Ctrl-C as unsent
    };

    // The replay position: the running maximum of event times, so that events recorded out of
    // time order go out at once rather than moving the clock back.
    qint64 position = NoTime;
    bool stopped = false;
    QString readError; // the recording could not be read on: what was read still goes out
    qint64 lastRead = 0; // the seq of the last event read
    for (qint64 from = firstSeq; from <= lastSeq && !stopped && readError.isEmpty(); from += ReadChunk) {
        const qint64 to = std::min(lastSeq, from + ReadChunk - 1);
        const bool read = recording->readSeqRange(
            from, to,
            [&](Event&& e) {
                lastRead = e.seq;
                // the event's own time, else the broker's (a plain-JSON Kafka record), as the
                // recording's time ranges and the projections go
                const qint64 time = e.hasTime() ? e.time : e.brokerTime;
                const qint64 at = time != NoTime ? (position == NoTime ? time : std::max(position, time)) : position;
                // events held back (delay) that fall due before this one leave first, on time
                while (!chaos.isEmpty() && at != NoTime && chaos.nextDue() <= at) {
                    const qint64 due = chaos.nextDue();
                    if (!waitUntil(due)) {
                        stopped = true;
                        return false;
                    }
                    release(due);
                }
                if (!waitUntil(at)) {
                    stopped = true;
                    return false;
                }
                position = at;
                chaos.push(e, at);
                release(position);
                showProgress();
                return true;
            },
            &error);
        if (!read)
            readError = error
                + (lastRead > 0 ? QStringLiteral("; the events after event %1 were not read").arg(lastRead)
                                : QStringLiteral("; no event was read"));
    }
    if (!stopped) {
        chaos.finish();
        while (!chaos.isEmpty()) {
            const qint64 due = chaos.nextDue();
            if (!waitUntil(due)) {
                stopped = true;
                break;
            }
            release(due);
        }
    }
    if (progress)
        err(QStringLiteral("\r\x1b[K"));
    // Everything handed over gets its delivery report (or counts as an error after the timeout,
    // or after a Ctrl-C that comes now).
    if (progress && sink.counters().produced.load() > sink.counters().delivered.load() + sink.counters().deliveryErrors.load())
        err(QStringLiteral("waiting up to %1 s for the last delivery reports (Ctrl-C gives up)")
                .arg(double(timeout->micros) / 1e6));
    interruptsBeforeFlush = interruptCount();
    if (!sink.stop(int(timeout->micros / 1000)))
        stopped = true;
    if (progress)
        err(QStringLiteral("\r\x1b[K"));
    const double seconds = double(wall.nsecsElapsed()) / 1e9;
    // Interrupted, the chaos stages still hold what they delayed or keep for a reorder window:
    // not sent, and counted, so that produced + held_unsent = events - dropped + duplicated; as
    // is what was taken from them while librdkafka's queue was full and never queued.
    const qint64 heldUnsent = chaos.held() + sink.counters().unsent.load();

    const auto& counts = chaos.counts();
    const auto& c = sink.counters();
    QJsonObject topics;
    const auto perTopic = sink.deliveredPerTopic();
    for (auto it = perTopic.cbegin(); it != perTopic.cend(); ++it)
        topics.insert(QString::fromUtf8(it.key()), it.value());
    QJsonObject result {
        { QStringLiteral("recording"), rec },
        { QStringLiteral("to"), sink.describe() },
        { QStringLiteral("events"), counts.events },
        { QStringLiteral("sent"), c.delivered.load() },
        { QStringLiteral("produced"), c.produced.load() },
        { QStringLiteral("duplicated"), counts.duplicated },
        { QStringLiteral("dropped"), counts.dropped },
        { QStringLiteral("delayed"), counts.delayed },
        { QStringLiteral("reordered"), counts.reordered },
        { QStringLiteral("held_unsent"), heldUnsent },
        { QStringLiteral("delivery_errors"), c.deliveryErrors.load() },
        { QStringLiteral("first_error"), sink.firstError() },
        { QStringLiteral("topics"), topics },
        { QStringLiteral("chaos"), chaosOptions.toString() },
        { QStringLiteral("seed"), QString::number(chaosOptions.seed) },
        { QStringLiteral("speed"), paced ? QStringLiteral("%1x").arg(speed) : QStringLiteral("max") },
        { QStringLiteral("interrupted"), stopped },
        { QStringLiteral("read_error"), readError },
        { QStringLiteral("seconds"), seconds },
    };
    if (parser.isSet(jsonOption)) {
        out(QJsonDocument(result).toJson(QJsonDocument::Indented));
    } else {
        out(QStringLiteral("%1: %2 of %3 events replayed into %4 in %5 s\n")
                .arg(rec)
                .arg(counts.events)
                .arg(total)
                .arg(sink.describe())
                .arg(seconds, 0, 'f', 2));
        out(QStringLiteral(
            "sent %1 (delivered), duplicated %2, dropped %3, delayed %4, reordered %5, delivery errors %6\n")
                .arg(c.delivered.load())
                .arg(counts.duplicated)
                .arg(counts.dropped)
                .arg(counts.delayed)
                .arg(counts.reordered)
                .arg(c.deliveryErrors.load()));
        if (!chaosOptions.isEmpty())
            out(QStringLiteral("chaos %1, seed %2\n").arg(chaosOptions.toString()).arg(chaosOptions.seed));
        if (heldUnsent > 0)
            out(QStringLiteral("held back by the chaos and not sent when it stopped: %1\n").arg(heldUnsent));
    }
    if (!readError.isEmpty()) {
        err(cmd + QStringLiteral(": ") + readError + u'\n');
        return Failed;
    }
    if (c.deliveryErrors.load() > 0) {
        err(cmd
            + QStringLiteral(": %1 messages not delivered; the first: %2\n")
                  .arg(c.deliveryErrors.load())
                  .arg(sink.firstError()));
        return Failed;
    }
    return stopped ? Interrupted : Ok;
}

} // namespace FlowScope::Cli
