// SPDX-License-Identifier: MIT
#include "cli.h"

#include <engine.h>
#include <flowfile.h>
#include <flowfileparser.h>
#include <inspector.h>
#include <recording.h>
#include <simulator.h>

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QThread>

namespace FlowScope::Cli {

int simCommand(const QStringList& args, const QString& command)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("FLOW"), QStringLiteral("Flow file with a simulation: section."));
    const QCommandLineOption durationOption(QStringLiteral("duration"),
                                            QStringLiteral("Simulated time to run (default: the flow's, else 60s)."),
                                            QStringLiteral("D"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Random seed (default: the flow's)."),
                                        QStringLiteral("N"));
    const QCommandLineOption speedOption(QStringLiteral("speed"),
                                         QStringLiteral("max (default: as fast as possible) or Nx of wall time."),
                                         QStringLiteral("max|Nx"), QStringLiteral("max"));
    const QCommandLineOption recordOption(QStringLiteral("record"), QStringLiteral("Record the simulated events to REC."),
                                          QStringLiteral("REC"));
    const QCommandLineOption forceOption(QStringLiteral("force"), QStringLiteral("Replace REC if it exists."));
    const QCommandLineOption faultOption(
        QStringLiteral("fault"),
        QStringLiteral("Add a fault, written like a faults: entry, e.g. \"at: 10s, service: payment, down: 30s\". "
                       "Repeatable."),
        QStringLiteral("SPEC"));
    const QCommandLineOption jsonOption(
        QStringLiteral("json"),
        QStringLiteral("Print one JSON object: what inspect --flow --json prints for the run, plus services, faults "
                       "and sim."));
    parser.addOptions({ durationOption, seedOption, speedOption, recordOption, forceOption, faultOption, jsonOption });
    if (!parseArguments(parser, command,
                        QStringLiteral("Runs the flow file's simulation and summarises what happened."), args, 1, 1))
        return Usage;
    const QString cmd = programName() + u' ' + command; // for messages
    const QString flowPath = parser.positionalArguments().first();
    if (parser.isSet(recordOption))
        if (const int rc = checkOutput(command, QStringLiteral("--record"), parser.value(recordOption),
                                       parser.isSet(forceOption), { flowPath });
            rc != Ok)
            return rc;
    const auto flow = loadFlow(command, flowPath);
    if (!flow)
        return Failed;
    if (!flow->simulation) {
        err(QStringLiteral("%1: %2 has no simulation: section (see docs/flow-file.md)\n").arg(cmd, flowPath));
        return Failed;
    }
    if (flow->simulation->load.isEmpty())
        err(QStringLiteral("%1: warning: %2 has no load: generators, so nothing will happen (docs/flow-file.md)\n")
                .arg(cmd, flowPath));
    qint64 duration = flow->simulation->duration ? flow->simulation->duration->micros : 60'000'000;
    if (parser.isSet(durationOption)) {
        const auto d = Duration::parse(parser.value(durationOption));
        if (!d) {
            err(QStringLiteral("%1: --duration: %2\n").arg(cmd, d.error()));
            return Usage;
        }
        duration = d->micros;
    }
    quint64 seed = flow->simulation->seed;
    if (parser.isSet(seedOption)) {
        bool ok = false;
        seed = parser.value(seedOption).toULongLong(&ok);
        if (!ok) {
            err(QStringLiteral("%1: --seed takes a whole number\n").arg(cmd));
            return Usage;
        }
    }
    double speed = 0; // max
    const QString speedText = parser.value(speedOption);
    if (speedText != u"max") {
        const auto f = parseFactor(speedText);
        if (!f) {
            err(QStringLiteral("%1: --speed takes max or a factor such as 10x: %2\n").arg(cmd, f.error()));
            return Usage;
        }
        speed = *f;
    }
    QList<Fault> faults;
    for (const QString& spec : parser.values(faultOption)) {
        QList<FlowError> errors;
        const auto fault = FlowFileParser::parseFault(spec, *flow, &errors);
        if (!fault) {
            for (const FlowError& e : std::as_const(errors))
                err(e.toString() + u'\n');
            return Usage;
        }
        faults.append(*fault);
    }

    std::unique_ptr<RecordingWriter> writer;
    QString error;
    if (parser.isSet(recordOption)) {
        writer = RecordingWriter::create(parser.value(recordOption), &error);
        if (!writer) {
            err(QStringLiteral("%1: %2\n").arg(cmd, error));
            return Failed;
        }
    }
    Engine::Options options = commandEngineOptions();
    // Without a recording the simulator waits for nothing but the fold: four batches (16384
    // events) in flight keep both threads busy. With the default 64, a simulator ahead of the
    // fold filled fresh memory with up to 64 batches of 1.8 MB: on the benchmark's tandem the
    // worst of 11 runs held 134 MB and took 26 700 page faults, against 63 MB and 4 800 with four
    // (docs/benchmarks.md). With a recording the writer sets the pace; not measured, so unchanged.
    if (!writer)
        options.queueBatches = 4;
    Engine engine(flow, writer.get(), options);
    engine.start();
    Sim::Simulator sim(flow, seed);
    for (const Fault& f : std::as_const(faults))
        sim.injectFault(f);
    sim.setSink([&engine](EventBatch&& batch) { engine.push(std::move(batch)); });

    QElapsedTimer wall;
    wall.start();
    // On a terminal (and not for scripts: --json), a line on stderr twice a second says how far
    // the run is; it is cleared before the result.
    const bool progress = stderrIsTerminal() && !parser.isSet(jsonOption);
    qint64 lastProgressMs = 0;
    auto showProgress = [&] {
        const qint64 ms = wall.elapsed();
        if (!progress || ms - lastProgressMs < 500)
            return;
        lastProgressMs = ms;
        // short: a line longer than the terminal wraps, and \r then clears only its last row
        err(QStringLiteral("\r\x1b[Ksimulating: %1 of %2 s (%3%), %4 events, %5x real time")
                .arg(double(sim.now()) / 1e6, 0, 'f', 0)
                .arg(double(duration) / 1e6, 0, 'f', 0)
                .arg(duration > 0 ? sim.now() * 100 / duration : 100)
                .arg(sim.eventsEmitted())
                .arg(double(sim.now()) / 1e3 / double(std::max<qint64>(ms, 1)), 0, 'f', 0));
    };
    const auto& interrupted = interruptFlag();
    if (speed <= 0) {
        // flat out, in slices so that Ctrl-C is noticed
        for (qint64 t = 0; t < duration && !interrupted.load();) {
            t = std::min(duration, t + 1'000'000);
            sim.runUntil(t);
            showProgress();
        }
    } else {
        while (sim.now() < duration && !interrupted.load()) {
            const qint64 target = std::min(duration, qint64(double(wall.nsecsElapsed() / 1000) * speed));
            sim.runUntil(target);
            showProgress();
            if (target < duration)
                QThread::msleep(10);
        }
    }
    if (progress && lastProgressMs > 0)
        err(QStringLiteral("\r\x1b[K"));
    engine.flush();
    const double wallSeconds = double(wall.nsecsElapsed()) / 1e9;
    engine.stop();
    const bool recorded = !writer
        || finishRecording(cmd, *writer, engine,
                           QStringLiteral("simulation of %1, seed %2").arg(flow->name).arg(seed));
    QJsonObject result = recordedStateJson(engine, writer.get());
    result.insert(QStringLiteral("services"), sim.statsJson());
    result.insert(QStringLiteral("faults"), sim.faultsJson().value(u"faults"));
    result.insert(QStringLiteral("sim"), QJsonObject { { QStringLiteral("events"), sim.eventsEmitted() },
                                                    { QStringLiteral("unpublished"), sim.unpublished() },
                                                    { QStringLiteral("sim_seconds"), double(sim.now()) / 1e6 },
                                                    { QStringLiteral("wall_seconds"), wallSeconds },
                                                    { QStringLiteral("seed"), QString::number(seed) } });
    if (parser.isSet(jsonOption)) {
        out(QJsonDocument(result).toJson(QJsonDocument::Indented));
    } else {
        out(QStringLiteral("%1: %2 s simulated in %3 s, %4 events\n\n")
                .arg(flow->name)
                .arg(double(sim.now()) / 1e6, 0, 'f', 1)
                .arg(wallSeconds, 0, 'f', 2)
                .arg(sim.eventsEmitted()));
        out(QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9 %10 %11\n")
                .arg(QStringLiteral("service"), -14)
                .arg(QStringLiteral("processed"), 10)
                .arg(QStringLiteral("failed"), 8)
                .arg(QStringLiteral("retries"), 8)
                .arg(QStringLiteral("dead"), 6)
                .arg(QStringLiteral("dropped"), 8)
                .arg(QStringLiteral("dup"), 6)
                .arg(QStringLiteral("max queue"), 10)
                .arg(QStringLiteral("cold starts"), 12)
                .arg(QStringLiteral("latency ms"), 11)
                .arg(QStringLiteral("lag ms"), 9));
        for (const Sim::ServiceStats& st : sim.stats())
            out(QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9 %10 %11\n")
                    .arg(st.name, -14)
                    .arg(st.processed, 10)
                    .arg(st.failed, 8)
                    .arg(st.retries, 8)
                    .arg(st.deadLettered, 6)
                    .arg(st.dropped, 8)
                    .arg(st.duplicated, 6)
                    .arg(st.maxQueue, 10)
                    .arg(st.coldStarts, 12)
                    // no mean of nothing: a service that handled no event (one that only emits)
                    .arg(st.processed > 0 ? QString::number(st.meanLatencyMillis(), 'f', 2) : QStringLiteral("-"),
                         11)
                    .arg(st.taken > 0 ? QString::number(st.meanLagMillis(), 'f', 2) : QStringLiteral("-"), 9));
        out(QStringLiteral("\n") + Inspector::toText(result));
    }
    writer.reset(); // closed: its -wal and -shm files go (the engine's pointer to it dangles: exit now)
    exitNow(!recorded ? Failed : interrupted.load() ? Interrupted : Ok);
}

} // namespace FlowScope::Cli
