// SPDX-License-Identifier: MIT
// flowscope-bench: the numbers in docs/benchmarks.md, each against its baseline in the same run.
//
//   parse   EventParser (simdjson on demand) vs QJsonDocument picking out the same attributes
//   import  `flowscope import` of a file vs the sqlite3 shell's `.import` of the same lines as raw text
//   sim     the simulator (in process without events and with them, and `flowscope sim --speed max
//           --json`) on a tandem of five M/M/1 stations (bench/tandem.yaml) and on the built-in demo
//           (resources/demo/shop.yaml), vs SimPy 3 (bench/simpy_tandem.py) and a bare C++ event
//           loop on the same tandem
//   record  `flowscope record --kafka` of the lines from librdkafka's mock cluster (in this process)
//           vs `kcat -C -e -o beginning` to /dev/null on the same topic
//
// Usage: flowscope-bench [--events N] [--flowscope PATH] [--sqlite3 PATH] [--python PATH] [--runs K]
//                        [--sim-duration D] [--demo-duration D] [--demo-flow PATH] [--kcat PATH]
//                        [--only parse|import|sim|engine|fold|record]
#include <eventparser.h>
#include <kafkamock.h>
#include <projections.h>
#include <random.h>
#include <flowfileparser.h>
#include <simulator.h>
#include <recording.h>
#include <recordingsql.h>
#include <timeformat.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>
#include <random>
#include <thread>

#include <sqlite3.h>
#include <sys/resource.h>

using namespace FlowScope;

namespace {

void print(const QString& s)
{
    std::fputs(s.toUtf8().constData(), stdout);
    std::fflush(stdout);
}

// 1 M lines like the ones an order system emits: about 240 bytes each, distinct ids and times.
QByteArray makeLines(qint64 n)
{
    static const char* const types[] = { "OrderCreated", "PaymentAuthorized", "StockReserved", "OrderApproved",
                                         "OrderShipped" };
    static const char* const sources[] = { "orders", "payment", "inventory", "orders", "shipping" };
    std::mt19937_64 rng(42);
    QByteArray out;
    out.reserve(n * 250);
    const qint64 t0 = *TimeFormat::parseRfc3339("2026-11-27T00:00:00Z");
    char line[512];
    for (qint64 i = 0; i < n; ++i) {
        const int k = static_cast<int>(i % 5);
        const qint64 order = i / 5;
        const QByteArray time = TimeFormat::toRfc3339(t0 + i * 997 + static_cast<qint64>(rng() % 1000));
        const int len = std::snprintf(
            line, sizeof line,
            R"({"specversion":"1.0","id":"e%09lld","source":"%s","type":"%s","time":"%s",)"
            R"("datacontenttype":"application/json","correlationid":"o%08lld","data":{"orderId":"o%08lld",)"
            R"("amount":%lld.%02lld,"customerId":"c%04lld"}})"
            "\n",
            static_cast<long long>(i), sources[k], types[k], time.constData(), static_cast<long long>(order),
            static_cast<long long>(order), static_cast<long long>(rng() % 500), static_cast<long long>(rng() % 100),
            static_cast<long long>(rng() % 5000));
        out.append(line, len);
    }
    return out;
}

QList<QByteArrayView> splitLines(const QByteArray& data)
{
    QList<QByteArrayView> lines;
    qsizetype start = 0;
    while (start < data.size()) {
        qsizetype nl = data.indexOf('\n', start);
        if (nl < 0)
            nl = data.size();
        lines.append(QByteArrayView(data.constData() + start, nl - start));
        start = nl + 1;
    }
    return lines;
}

double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct ParseResult {
    double simdjsonSeconds;
    double qjsonSeconds;
};

ParseResult benchParse(const QList<QByteArrayView>& lines, int runs)
{
    QList<double> ours, qt;
    qint64 checksum = 0;
    for (int r = 0; r < runs; ++r) {
        EventParser parser;
        QElapsedTimer t;
        t.start();
        for (const QByteArrayView& l : lines) {
            const Event e = parser.parseLine(l);
            checksum += e.type.size() + (e.isUnparsed() ? 1000000 : 0);
        }
        ours.append(t.nsecsElapsed() / 1e9);

        // The baseline does less: it fills only id, type, source, time, correlation id and data.
        t.restart();
        for (const QByteArrayView& l : lines) {
            Event e;
            const QJsonObject o = QJsonDocument::fromJson(l.toByteArray()).object();
            e.id = o.value(u"id").toString().toUtf8();
            e.type = o.value(u"type").toString().toUtf8();
            e.source = o.value(u"source").toString().toUtf8();
            e.time = TimeFormat::parseRfc3339(o.value(u"time").toString().toUtf8()).value_or(NoTime);
            e.correlationId = o.value(u"correlationid").toString().toUtf8();
            e.payload = QJsonDocument(o.value(u"data").toObject()).toJson(QJsonDocument::Compact);
            checksum -= e.type.size();
        }
        qt.append(t.nsecsElapsed() / 1e9);
    }
    if (checksum != 0)
        print(QStringLiteral("warning: parsers disagree (checksum %1)\n").arg(checksum));
    return { median(ours), median(qt) };
}

double timeProcess(const QString& program, const QStringList& args, const QString& stdinFile = {})
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.setStandardOutputFile(QProcess::nullDevice());
    if (!stdinFile.isEmpty())
        p.setStandardInputFile(stdinFile);
    QElapsedTimer t;
    t.start();
    p.start(program, args);
    if (!p.waitForFinished(-1) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        print(QStringLiteral("error: %1 %2 failed (exit %3)\n").arg(program, args.join(u' ')).arg(p.exitCode()));
        return -1;
    }
    return t.nsecsElapsed() / 1e9;
}

// CPU seconds (user + system) this process has used, or its waited-for children have.
double cpuSeconds(int who)
{
    rusage u {};
    getrusage(who, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// ---- sim ----------------------------------------------------------------------------------

QString sourcePath(const QString& relative)
{
    return QStringLiteral(FLOWSCOPE_SOURCE_DIR) + u'/' + relative;
}

std::shared_ptr<const Flow> loadFlow(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        print(QStringLiteral("error: cannot read %1\n").arg(path));
        return {};
    }
    FlowParseResult r = FlowFileParser::parseText(f.readAll(), path);
    if (!r.ok() || !r.flow->simulation) {
        print(QStringLiteral("error: %1: %2\n").arg(path, r.ok() ? QStringLiteral("no simulation: section") : r.errorText()));
        return {};
    }
    return std::make_shared<const Flow>(std::move(*r.flow));
}

struct SimRun {
    qint64 completions = 0; // station completions: ServiceStats::processed summed over the services
    qint64 events = 0;      // events emitted (load generators and services)
    double wall = -1;       // seconds: the engine's runUntil, or the whole process
    double innerWall = 0;   // the process's own measurement (`sim.wall_seconds` of the JSON), if any
};

// The reference of issue 4's "a bare C++ event loop does this tandem at ~75x SimPy": the same
// tandem as bench/tandem.yaml written out by hand, the least a discrete-event loop can do. A
// std::priority_queue of (time, station) completions, a count of waiting jobs and a busy flag per
// station, exponential draws from FlowScope's Rng; a job moving on arrives at once, as with the
// tandem's broker latency 0. No ids, no events, no statistics but the count.
SimRun runBareLoop(qint64 durationMicros)
{
    constexpr int Stations = 5;
    constexpr double Rate = 800.0, ServiceMean = 0.001;
    struct Item {
        double time;
        int station; // -1: the next arrival
        bool operator>(const Item& o) const { return time > o.time; }
    };
    QElapsedTimer t;
    t.start();
    Rng rng(42);
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> agenda;
    int waiting[Stations] = {};
    bool busy[Stations] = {};
    qint64 completions = 0;
    const double until = double(durationMicros) / 1e6;
    agenda.push({ rng.exponential(1.0 / Rate), -1 });
    while (!agenda.empty() && agenda.top().time <= until) {
        const Item item = agenda.top();
        agenda.pop();
        int arriving = 0; // the station a job arrives at now, or Stations: none
        if (item.station < 0) {
            agenda.push({ item.time + rng.exponential(1.0 / Rate), -1 });
        } else {
            ++completions;
            arriving = item.station + 1;
            if (waiting[item.station] > 0) {
                --waiting[item.station];
                agenda.push({ item.time + rng.exponential(ServiceMean), item.station });
            } else {
                busy[item.station] = false;
            }
        }
        if (arriving < Stations) {
            if (busy[arriving]) {
                ++waiting[arriving];
            } else {
                busy[arriving] = true;
                agenda.push({ item.time + rng.exponential(ServiceMean), arriving });
            }
        }
    }
    SimRun r;
    r.wall = double(t.nsecsElapsed()) / 1e9;
    r.completions = completions;
    return r;
}

// What the simulator does with its events in runEngine().
enum class Output {
    None,    // no sink, so no Event is built: the discrete-event engine alone, as a bare loop runs
    Dropped, // every event built and handed to a sink that frees it
    Folded,  // the sink folds each batch into the projections on the same thread (what
             // `flowscope sim` does on two threads), which tells the fold's cost from the simulation's
};

// The simulator in this process, timed around runUntil().
SimRun runEngine(const std::shared_ptr<const Flow>& flow, qint64 durationMicros, Output output)
{
    Sim::Simulator sim(flow, flow->simulation->seed);
    Projections projections(flow);
    qint64 nextSeq = 1;
    if (output == Output::Folded) { // as the engine thread does
        projections.reserveCausation();
        sim.setSink([&projections, &nextSeq](EventBatch&& batch) { projections.consume(std::move(batch), nextSeq); });
    } else if (output == Output::Dropped) {
        sim.setSink([](EventBatch&& batch) { EventBatch dropped = std::move(batch); });
    }
    QElapsedTimer t;
    t.start();
    sim.runUntil(durationMicros);
    SimRun r;
    r.wall = double(t.nsecsElapsed()) / 1e9;
    r.events = sim.eventsEmitted();
    for (const Sim::ServiceStats& st : sim.stats())
        r.completions += st.processed;
    return r;
}

// The fold alone: the simulator's batches kept, then folded into a fresh Projections `runs`
// times on this thread, timing Projections::apply only (not the simulation, not freeing the
// batches). Returns the median nanoseconds per event, or -1.
double foldAlone(const std::shared_ptr<const Flow>& flow, qint64 durationMicros, int runs)
{
    QList<EventBatch> batches;
    qint64 events = 0;
    {
        Sim::Simulator sim(flow, flow->simulation->seed);
        sim.setSink([&](EventBatch&& batch) {
            events += batch.size();
            batches.append(std::move(batch));
        });
        sim.runUntil(durationMicros);
    }
    if (events == 0)
        return -1;
    QList<double> ns;
    for (int r = 0; r < runs; ++r) {
        Projections projections(flow);
        QElapsedTimer t;
        t.start();
        for (const EventBatch& batch : std::as_const(batches))
            projections.apply(batch);
        ns.append(double(t.nsecsElapsed()) / double(events));
    }
    return median(ns);
}

// Runs a program, times it from start to exit, and returns its standard output parsed as JSON.
std::optional<QJsonObject> runJson(const QString& program, const QStringList& args, double* seconds)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer t;
    t.start();
    p.start(program, args);
    if (!p.waitForFinished(-1) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        print(QStringLiteral("error: %1 %2 failed (exit %3)\n").arg(program, args.join(u' ')).arg(p.exitCode()));
        return std::nullopt;
    }
    *seconds = double(t.nsecsElapsed()) / 1e9;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(p.readAllStandardOutput(), &error);
    if (!doc.isObject()) {
        print(QStringLiteral("error: %1 printed no JSON object: %2\n").arg(program, error.errorString()));
        return std::nullopt;
    }
    return doc.object();
}

// `flowscope sim FLOW --speed max --json`: every event emitted and folded into the projections.
SimRun runCli(const QString& flowscope, const QString& flowFile, qint64 durationMicros)
{
    SimRun r;
    double seconds = 0;
    const auto o = runJson(flowscope,
        { QStringLiteral("sim"), flowFile, QStringLiteral("--speed"), QStringLiteral("max"), QStringLiteral("--json"),
          QStringLiteral("--duration"), Duration::fromMicros(durationMicros).toString() },
        &seconds);
    if (!o)
        return r;
    const QJsonObject services = o->value(u"services").toObject();
    for (auto it = services.begin(); it != services.end(); ++it)
        r.completions += it.value().toObject().value(u"processed").toInteger();
    const QJsonObject sim = o->value(u"sim").toObject();
    r.events = sim.value(u"events").toInteger();
    r.innerWall = sim.value(u"wall_seconds").toDouble();
    r.wall = seconds;
    return r;
}

// bench/simpy_tandem.py: wall time as the script measures it around env.run.
SimRun runSimPy(const QString& python, qint64 durationMicros)
{
    SimRun r;
    double seconds = 0;
    const auto o = runJson(python,
        { sourcePath(QStringLiteral("bench/simpy_tandem.py")), QStringLiteral("--duration"),
          QString::number(double(durationMicros) / 1e6), QStringLiteral("--seed"), QStringLiteral("42") },
        &seconds);
    if (!o)
        return r;
    r.completions = o->value(u"completions").toInteger();
    r.wall = o->value(u"wall_seconds").toDouble();
    r.innerWall = r.wall;
    return r;
}

// The median of the runs' wall times (the counts are the same in every run: fixed seeds).
SimRun medianRun(const QList<SimRun>& runs)
{
    QList<double> walls, inner;
    for (const SimRun& r : runs) {
        if (r.wall < 0)
            return SimRun {};
        walls.append(r.wall);
        inner.append(r.innerWall);
    }
    SimRun m = runs.first();
    m.wall = median(walls);
    m.innerWall = median(inner);
    return m;
}

int benchSim(const QString& flowscope, const QString& python, const QString& demoFile, qint64 tandemMicros,
             qint64 demoMicros, int runs)
{
    const QString tandemFile = sourcePath(QStringLiteral("bench/tandem.yaml"));
    const auto tandem = loadFlow(tandemFile);
    const auto demo = loadFlow(demoFile);
    if (!tandem || !demo)
        return 1;
    if (!QFileInfo::exists(flowscope) || QStandardPaths::findExecutable(python).isEmpty()) {
        print(QStringLiteral("sim: skipped (need %1 and %2 with SimPy 3)\n").arg(flowscope, python));
        return 1;
    }
    QList<SimRun> loop, bare, engine, folded, cli, simpy, demoEngine, demoCli;
    for (int r = 0; r < runs; ++r) {
        simpy.append(runSimPy(python, tandemMicros));
        loop.append(runBareLoop(tandemMicros));
        bare.append(runEngine(tandem, tandemMicros, Output::None));
        engine.append(runEngine(tandem, tandemMicros, Output::Dropped));
        folded.append(runEngine(tandem, tandemMicros, Output::Folded));
        cli.append(runCli(flowscope, tandemFile, tandemMicros));
        demoEngine.append(runEngine(demo, demoMicros, Output::Dropped));
        demoCli.append(runCli(flowscope, demoFile, demoMicros));
    }
    const SimRun l = medianRun(loop), b = medianRun(bare), e = medianRun(engine), f = medianRun(folded), c = medianRun(cli), s = medianRun(simpy),
                 de = medianRun(demoEngine), dc = medianRun(demoCli);
    if (l.wall < 0 || b.wall < 0 || e.wall < 0 || f.wall < 0 || c.wall < 0 || s.wall < 0 || de.wall < 0 || dc.wall < 0)
        return 1;
    const double base = double(s.completions) / s.wall;
    const auto row = [](const QString& what, double seconds) -> QString {
        return QStringLiteral("  %1 %2 s").arg(what, -32).arg(seconds, 6, 'f', 3);
    };
    const auto perSecond = [](double count, double seconds, const QString& what) -> QString {
        const double r = count / seconds;
        const QString n = r >= 1e6 ? QStringLiteral("%1 M").arg(r / 1e6, 0, 'f', 2)
                                   : QStringLiteral("%1 k").arg(r / 1e3, 0, 'f', 0);
        return QStringLiteral("   %1 %2/s").arg(n, 7).arg(what);
    };
    const auto times = [base](const SimRun& m) { return double(m.completions) / m.wall / base; };

    print(QStringLiteral("sim: tandem of five M/M/1 (Poisson 800/s, exp(1ms), FIFO, one server each), %1 s "
                         "simulated, %2 station completions\n")
              .arg(double(tandemMicros) / 1e6)
              .arg(s.completions));
    print(row(QStringLiteral("SimPy 3 (env.run)"), s.wall)
          + perSecond(double(s.completions), s.wall, QStringLiteral("completions")) + u'\n');
    print(row(QStringLiteral("a bare C++ event loop"), l.wall)
          + perSecond(double(l.completions), l.wall, QStringLiteral("completions"))
          + QStringLiteral("   %1x SimPy (issue 4: ~75x)\n").arg(times(l), 0, 'f', 1));
    print(row(QStringLiteral("engine, no events built"), b.wall)
          + perSecond(double(b.completions), b.wall, QStringLiteral("completions"))
          + QStringLiteral("   %1x SimPy, %2 of the bare loop's rate\n")
                .arg(times(b), 0, 'f', 1)
                .arg(QStringLiteral("%1 %").arg(100.0 * times(b) / times(l), 0, 'f', 0)));
    print(row(QStringLiteral("engine, events built, dropped"), e.wall)
          + perSecond(double(e.completions), e.wall, QStringLiteral("completions"))
          + QStringLiteral("   %1x SimPy; building: %2 ns an event\n")
                .arg(times(e), 0, 'f', 1)
                .arg((e.wall - b.wall) * 1e9 / double(std::max<qint64>(1, e.events)), 0, 'f', 0));
    print(row(QStringLiteral("engine + fold, one thread"), f.wall)
          + perSecond(double(f.completions), f.wall, QStringLiteral("completions"))
          + QStringLiteral("   %1x SimPy; the fold: %2 ns an event\n")
                .arg(times(f), 0, 'f', 1)
                .arg((f.wall - e.wall) * 1e9 / double(std::max<qint64>(1, f.events)), 0, 'f', 0));
    print(row(QStringLiteral("flowscope sim --json (process)"), c.wall)
          + perSecond(double(c.completions), c.wall, QStringLiteral("completions"))
          + QStringLiteral("   %1x SimPy (goal >= 30x: %2)\n")
                .arg(times(c), 0, 'f', 1)
                .arg(times(c) >= 30 ? QStringLiteral("met") : QStringLiteral("missed")));
    print(row(QStringLiteral("  its own wall_seconds"), c.innerWall) + QStringLiteral("   (simulate, fold, flush)\n"));
    if (e.completions != c.completions || b.completions != e.completions || e.completions == 0 || e.completions < s.completions * 9 / 10
        || e.completions > s.completions * 11 / 10)
        print(QStringLiteral("  warning: the runs disagree: %1 (engine), %2 (command), %3 (SimPy) completions\n")
                  .arg(e.completions)
                  .arg(c.completions)
                  .arg(s.completions));

    print(QStringLiteral("\nsim: demo (%1, its faults included), %2 s simulated, %3 events, %4 station completions\n")
              .arg(QDir(QStringLiteral(FLOWSCOPE_SOURCE_DIR)).relativeFilePath(demoFile))
              .arg(double(demoMicros) / 1e6)
              .arg(de.events)
              .arg(de.completions));
    print(row(QStringLiteral("engine, events built, dropped"), de.wall)
          + perSecond(double(de.events), de.wall, QStringLiteral("events"))
          + perSecond(double(de.completions), de.wall, QStringLiteral("completions"))
          + QStringLiteral("   %1x SimPy's tandem rate\n").arg(times(de), 0, 'f', 1));
    print(row(QStringLiteral("flowscope sim --json (process)"), dc.wall)
          + perSecond(double(dc.events), dc.wall, QStringLiteral("events"))
          + perSecond(double(dc.completions), dc.wall, QStringLiteral("completions"))
          + QStringLiteral("   %1x SimPy's tandem rate\n").arg(times(dc), 0, 'f', 1));
    print(row(QStringLiteral("  its own wall_seconds"), dc.innerWall) + QStringLiteral("   (simulate, fold, flush)\n"));
    return 0;
}

} // namespace

// ---- record -------------------------------------------------------------------------------

// The recording writer's floor: SQLite alone inserting the rows of `recording` into a new
// database with the same schema and pragmas (RecordingWriter::creationPragmas(Live): WAL,
// synchronous NORMAL; 4096 rows a transaction; its WAL not copied), one prepared statement,
// values bound as they are stored; `runs` times, each into a database of its own under
// `scratchDir`, deleted after. Returns the seconds of thread CPU each run's inserts took, or an
// empty list.
QList<double> sqliteInsertFloor(const QString& recording, const QString& scratchDir, int runs)
{
    // The rows, packed one after the other: per column a type byte, then an int64, or an int32
    // length and the bytes. ~300 bytes a row instead of a heap block per value.
    QByteArray packed;
    std::vector<qsizetype> rowStart;
    QByteArray schema;
    int columns = 0;
    {
        sqlite3* src = nullptr;
        if (RecordingSql::open(recording, &src, SQLITE_OPEN_READONLY) != SQLITE_OK) {
            sqlite3_close(src);
            return {};
        }
        sqlite3_stmt* q = nullptr;
        if (sqlite3_prepare_v2(src, "SELECT group_concat(sql, ';') FROM sqlite_master WHERE type = 'table'", -1, &q,
                               nullptr)
                == SQLITE_OK
            && sqlite3_step(q) == SQLITE_ROW)
            schema = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
        q = nullptr;
        if (schema.isEmpty() || sqlite3_prepare_v2(src, "SELECT * FROM events ORDER BY seq", -1, &q, nullptr) != SQLITE_OK) {
            sqlite3_finalize(q);
            sqlite3_close(src);
            return {};
        }
        columns = sqlite3_column_count(q);
        while (sqlite3_step(q) == SQLITE_ROW) {
            rowStart.push_back(packed.size());
            for (int c = 0; c < columns; ++c) {
                const char type = char(sqlite3_column_type(q, c));
                packed.append(type);
                if (type == SQLITE_INTEGER) {
                    const qint64 v = sqlite3_column_int64(q, c);
                    packed.append(reinterpret_cast<const char*>(&v), sizeof v);
                } else if (type != SQLITE_NULL) { // text or blob (the events table has no reals)
                    const qint32 n = sqlite3_column_bytes(q, c);
                    packed.append(reinterpret_cast<const char*>(&n), sizeof n);
                    packed.append(static_cast<const char*>(sqlite3_column_blob(q, c)), n);
                }
            }
        }
        sqlite3_finalize(q);
        sqlite3_close(src);
    }
    if (rowStart.empty())
        return {};

    const auto insertAll = [&](const QString& scratch) -> double {
        sqlite3* db = nullptr;
        if (RecordingSql::open(scratch, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)
            != SQLITE_OK) {
            sqlite3_close(db);
            return -1;
        }
        const QByteArray setup = RecordingWriter::creationPragmas(WriteMode::Live) + "PRAGMA wal_autocheckpoint = 0;" + schema;
        QByteArray insert = "INSERT INTO events VALUES (?";
        for (int c = 1; c < columns; ++c)
            insert += ",?";
        insert += ')';
        sqlite3_stmt* ins = nullptr;
        if (sqlite3_exec(db, setup.constData(), nullptr, nullptr, nullptr) != SQLITE_OK
            || sqlite3_prepare_v2(db, insert.constData(), -1, &ins, nullptr) != SQLITE_OK) {
            sqlite3_finalize(ins);
            sqlite3_close(db);
            return -1;
        }
        const double start = cpuSeconds(RUSAGE_THREAD);
        bool ok = true;
        for (size_t first = 0; first < rowStart.size() && ok; first += 4096) {
            ok = sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
            for (size_t r = first; r < std::min(rowStart.size(), first + 4096) && ok; ++r) {
                const char* p = packed.constData() + rowStart[r];
                for (int c = 1; c <= columns; ++c) {
                    const char type = *p++;
                    if (type == SQLITE_INTEGER) {
                        qint64 v;
                        std::memcpy(&v, p, sizeof v);
                        p += sizeof v;
                        sqlite3_bind_int64(ins, c, v);
                    } else if (type == SQLITE_NULL) {
                        sqlite3_bind_null(ins, c);
                    } else {
                        qint32 n;
                        std::memcpy(&n, p, sizeof n);
                        p += sizeof n;
                        // p is never null here, so an empty value stays empty, not NULL
                        if (type == SQLITE_TEXT)
                            sqlite3_bind_text(ins, c, p, n, SQLITE_STATIC);
                        else
                            sqlite3_bind_blob(ins, c, p, n, SQLITE_STATIC);
                        p += n;
                    }
                }
                ok = sqlite3_step(ins) == SQLITE_DONE;
                sqlite3_reset(ins);
            }
            ok = ok && sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
        }
        const double cpu = cpuSeconds(RUSAGE_THREAD) - start;
        sqlite3_finalize(ins);
        sqlite3_close(db);
        return ok ? cpu : -1;
    };
    QList<double> cpu;
    for (int r = 0; r < runs; ++r) {
        const QString scratch = QDir(scratchDir).filePath(QStringLiteral("floor-%1.db").arg(r));
        const double seconds = insertAll(scratch);
        for (const char* suffix : { "", "-wal", "-shm" })
            QFile::remove(scratch + QLatin1String(suffix));
        if (seconds < 0)
            return {};
        cpu.append(seconds);
    }
    return cpu;
}

int benchRecord(const QString& flowscope, const QString& kcat, const QList<QByteArrayView>& lines, int runs, bool serve)
{
    const qint64 n = lines.size();
    QString error;
    auto cluster = Connectors::KafkaMockCluster::start(1, &error);
    // 64 partitions: the mock keeps only ~5 MiB per partition (../shared/ENVIRONMENT.md)
    if (!cluster || !cluster->createTopic("bench", 64, &error)) {
        print(QStringLiteral("record: error: %1\n").arg(error));
        return 1;
    }
    QElapsedTimer t;
    t.start();
    for (qint64 i = 0; i < n; ++i) {
        const QByteArray key = "order-" + QByteArray::number(i / 5); // a flow's events share a partition
        if (!cluster->produce("bench", key, lines[i].toByteArray(), {}, &error))
            break;
    }
    if (!error.isEmpty() || !cluster->flush(120000, &error)) {
        print(QStringLiteral("record: error: %1\n").arg(error));
        return 1;
    }
    print(QStringLiteral("record: %1 events produced into the mock cluster at %2 (64 partitions) in %3 s\n")
              .arg(n)
              .arg(QString::fromUtf8(cluster->bootstrap()))
              .arg(double(t.nsecsElapsed()) / 1e9, 0, 'f', 1));
    const QString servers = QString::fromUtf8(cluster->bootstrap());
    if (serve) { // to profile `flowscope record` by hand against the same topic
        print(QStringLiteral("serving topic bench at %1 until standard input closes\n").arg(servers));
        QFile in;
        if (in.open(stdin, QIODevice::ReadOnly))
            in.readAll();
        return 0;
    }
    QTemporaryDir dir;
    QList<double> ours, theirs;
    // CPU: each client's own, and what the mock broker (this process) spent serving it
    QList<double> oursCpu, theirsCpu, brokerForOurs, brokerForTheirs;
    for (int r = 0; r < runs; ++r) {
        double self = cpuSeconds(RUSAGE_SELF), children = cpuSeconds(RUSAGE_CHILDREN);
        const auto took = [&](QList<double>& client, QList<double>& broker) {
            const double s = cpuSeconds(RUSAGE_SELF), c = cpuSeconds(RUSAGE_CHILDREN);
            client.append(c - children);
            broker.append(s - self);
            self = s;
            children = c;
        };
        theirs.append(timeProcess(kcat, { QStringLiteral("-C"), QStringLiteral("-b"), servers, QStringLiteral("-t"),
                                          QStringLiteral("bench"), QStringLiteral("-o"), QStringLiteral("beginning"),
                                          QStringLiteral("-e"), QStringLiteral("-q") }));
        took(theirsCpu, brokerForTheirs);
        double seconds = -1;
        const QString rec = dir.filePath(QStringLiteral("bench-%1.fsrec").arg(r));
        const auto o = runJson(flowscope,
            { QStringLiteral("record"), QStringLiteral("--kafka"), servers, QStringLiteral("--topic"),
              QStringLiteral("bench"), QStringLiteral("--from"), QStringLiteral("beginning"), QStringLiteral("--max-events"),
              QString::number(n), QStringLiteral("--out"), rec, QStringLiteral("--json") },
            &seconds);
        if (!o || o->value(u"events").toInteger() != n) {
            print(QStringLiteral("record: error: flowscope record did not record %1 events\n").arg(n));
            return 1;
        }
        took(oursCpu, brokerForOurs);
        ours.append(seconds);
        if (r + 1 < runs)
            QFile::remove(rec);
    }
    const double o = median(ours), k = median(theirs);
    print(QStringLiteral("record (whole process: consume, parse, fold, write the recording)\n"));
    print(QStringLiteral("  flowscope record --kafka %1 s   %2 k events/s\n").arg(o, 0, 'f', 3).arg(double(n) / o / 1e3, 0, 'f', 0));
    print(QStringLiteral("  kcat -C -e to /dev/null  %1 s   %2 k events/s\n").arg(k, 0, 'f', 3).arg(double(n) / k / 1e3, 0, 'f', 0));
    print(QStringLiteral("  ratio                    %1x kcat's rate (goal >= 0.8x)\n").arg(k / o, 0, 'f', 2));
    // What the goal leaves on this machine: both clients share its cores with the mock broker.
    const double cores = double(std::max(1u, std::thread::hardware_concurrency()));
    const double budget = cores * k / 0.8 - median(brokerForOurs);
    print(QStringLiteral("  CPU (user + system)      flowscope record %1 s, kcat %2 s; the mock broker %3 s serving "
                         "flowscope, %4 s serving kcat\n")
              .arg(median(oursCpu), 0, 'f', 2)
              .arg(median(theirsCpu), 0, 'f', 2)
              .arg(median(brokerForOurs), 0, 'f', 2)
              .arg(median(brokerForTheirs), 0, 'f', 2));
    print(QStringLiteral("  0.8x kcat on %1 cores    leaves flowscope record at most %2 s of CPU (%3 ns an event); it "
                         "used %4 s\n")
              .arg(cores)
              .arg(budget, 0, 'f', 2)
              .arg(budget * 1e9 / double(n), 0, 'f', 0)
              .arg(median(oursCpu), 0, 'f', 2));
    // What the writer thread cannot go below with this schema: SQLite alone, the same rows.
    const QString last = dir.filePath(QStringLiteral("bench-%1.fsrec").arg(runs - 1));
    const QList<double> floors = sqliteInsertFloor(last, dir.path(), runs);
    if (floors.isEmpty())
        print(QStringLiteral("  SQLite alone: error: cannot copy %1\n").arg(last));
    else
        print(QStringLiteral("  SQLite alone             %1 s of CPU inserting the same rows into a new recording (same schema\n"
                             "                           and pragmas, 4096 a transaction, WAL not copied): the writer's floor\n\n")
                  .arg(median(floors), 0, 'f', 2));
    return 0;
}

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("FlowScope benchmarks (see docs/benchmarks.md)"));
    cli.addHelpOption();
    const QCommandLineOption eventsOpt(QStringLiteral("events"), QStringLiteral("Lines to generate."), QStringLiteral("N"),
                                       QStringLiteral("1000000"));
    const QCommandLineOption runsOpt(QStringLiteral("runs"), QStringLiteral("Repetitions; the median is reported."),
                                     QStringLiteral("K"), QStringLiteral("3"));
    const QCommandLineOption flowscopeOpt(QStringLiteral("flowscope"), QStringLiteral("The flowscope binary."),
                                          QStringLiteral("PATH"));
    const QCommandLineOption sqliteOpt(QStringLiteral("sqlite3"), QStringLiteral("The sqlite3 shell."),
                                       QStringLiteral("PATH"), QStringLiteral("sqlite3"));
    const QCommandLineOption pythonOpt(QStringLiteral("python"), QStringLiteral("The Python with SimPy 3 (sim)."),
                                       QStringLiteral("PATH"), QStringLiteral("/usr/bin/python3"));
    const QCommandLineOption simDurationOpt(QStringLiteral("sim-duration"),
                                            QStringLiteral("Simulated time of the tandem runs (sim)."),
                                            QStringLiteral("D"), QStringLiteral("120s"));
    const QCommandLineOption demoDurationOpt(QStringLiteral("demo-duration"),
                                             QStringLiteral("Simulated time of the demo runs (sim)."),
                                             QStringLiteral("D"), QStringLiteral("5m"));
    const QCommandLineOption demoFlowOpt(QStringLiteral("demo-flow"),
                                         QStringLiteral("The demo flow file (sim; default: the built-in demo)."),
                                         QStringLiteral("PATH"), sourcePath(QStringLiteral("resources/demo/shop.yaml")));
    const QCommandLineOption kcatOpt(QStringLiteral("kcat"), QStringLiteral("The kcat binary (record)."),
                                     QStringLiteral("PATH"), QStringLiteral("kcat"));
    const QCommandLineOption onlyOpt(QStringLiteral("only"), QStringLiteral("parse, import, sim, engine (the simulator alone, quick), fold (the sim's fold alone) or record."),
                                     QStringLiteral("WHAT"));
    const QCommandLineOption serveOpt(QStringLiteral("serve"),
                                      QStringLiteral("record: fill the topic, then keep the mock cluster up until standard "
                                                     "input closes, to run flowscope record by hand."));
    cli.addOptions({ eventsOpt, runsOpt, flowscopeOpt, sqliteOpt, pythonOpt, simDurationOpt, demoDurationOpt, demoFlowOpt,
                    kcatOpt, onlyOpt, serveOpt });
    cli.process(app);
    const qint64 n = cli.value(eventsOpt).toLongLong();
    const int runs = std::max(1, cli.value(runsOpt).toInt());
    const QString only = cli.value(onlyOpt);
    if (!only.isEmpty() && only != u"parse" && only != u"import" && only != u"sim" && only != u"record"
        && only != u"fold" && only != u"engine") {
        print(QStringLiteral("error: --only takes parse, import, sim, engine, fold or record\n"));
        return 2;
    }
    const auto simDuration = Duration::parse(cli.value(simDurationOpt));
    const auto demoDuration = Duration::parse(cli.value(demoDurationOpt));
    if (!simDuration || !demoDuration || simDuration->micros <= 0 || demoDuration->micros <= 0) {
        print(QStringLiteral("error: --sim-duration and --demo-duration take durations such as 60s or 5m\n"));
        return 2;
    }
    QString flowscope = cli.value(flowscopeOpt);
    if (flowscope.isEmpty())
        flowscope = QCoreApplication::applicationDirPath() + QStringLiteral("/../app/flowscope");
    int status = 0;

    QByteArray data;
    QList<QByteArrayView> lines;
    // only parse, import and record read the generated lines
    if (only.isEmpty() || only == u"parse" || only == u"import" || only == u"record") {
        data = makeLines(n);
        lines = splitLines(data);
        print(QStringLiteral("%1 CloudEvents lines, %2 bytes on average, median of %3 runs\n\n")
                  .arg(lines.size())
                  .arg(static_cast<double>(data.size()) / static_cast<double>(lines.size()), 0, 'f', 0)
                  .arg(runs));
    } else {
        print(QStringLiteral("median of %1 runs\n\n").arg(runs));
    }

    if (only.isEmpty() || only == u"parse") {
        const ParseResult r = benchParse(lines, runs);
        print(QStringLiteral("parse (one core)\n"));
        print(QStringLiteral("  EventParser (simdjson)   %1 s   %2 M events/s\n")
                  .arg(r.simdjsonSeconds, 0, 'f', 3)
                  .arg(static_cast<double>(n) / r.simdjsonSeconds / 1e6, 0, 'f', 2));
        print(QStringLiteral("  QJsonDocument            %1 s   %2 M events/s\n")
                  .arg(r.qjsonSeconds, 0, 'f', 3)
                  .arg(static_cast<double>(n) / r.qjsonSeconds / 1e6, 0, 'f', 2));
        print(QStringLiteral("  speed-up                 %1x\n\n").arg(r.qjsonSeconds / r.simdjsonSeconds, 0, 'f', 1));
    }

    if (only.isEmpty() || only == u"import") {
        QString sqlite = QStandardPaths::findExecutable(cli.value(sqliteOpt));
        if (!QFileInfo::exists(flowscope) || sqlite.isEmpty()) {
            print(QStringLiteral("import: skipped (need %1 and the sqlite3 shell)\n").arg(flowscope));
            return 1;
        }
        QTemporaryDir dir;
        const QString input = dir.filePath(QStringLiteral("events.jsonl"));
        QFile f(input);
        if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
            return 1;
        f.close();
        const QString script = dir.filePath(QStringLiteral("import.sql"));
        QFile s(script);
        if (!s.open(QIODevice::WriteOnly))
            return 1;
        // .mode ascii reads fields separated by 0x1F and does no CSV quote processing: each line is one row.
        s.write("CREATE TABLE raw(line TEXT);\n.mode ascii\n.separator \"\\037\" \"\\n\"\n.import " + input.toUtf8()
                + " raw\n");
        s.close();
        QList<double> ours, raw;
        for (int r = 0; r < runs; ++r) {
            const QString rec = dir.filePath(QStringLiteral("events.fsrec"));
            const QString db = dir.filePath(QStringLiteral("raw.db"));
            QFile::remove(db);
            raw.append(timeProcess(sqlite, { db }, script));
            ours.append(timeProcess(flowscope, { QStringLiteral("import"), input, QStringLiteral("--out"), rec,
                                                 QStringLiteral("--force") }));
        }
        const double o = median(ours), b = median(raw);
        print(QStringLiteral("import (whole process, file to SQLite)\n"));
        print(QStringLiteral("  flowscope import         %1 s   %2 k events/s\n")
                  .arg(o, 0, 'f', 3)
                  .arg(static_cast<double>(n) / o / 1e3, 0, 'f', 0));
        print(QStringLiteral("  sqlite3 .import (raw)    %1 s   %2 k lines/s\n")
                  .arg(b, 0, 'f', 3)
                  .arg(static_cast<double>(n) / b / 1e3, 0, 'f', 0));
        print(QStringLiteral("  ratio                    %1x the raw import's time (goal <= 1.2x)\n\n").arg(o / b, 0, 'f', 2));
    }

    if (only.isEmpty() || only == u"record") {
        const QString kcat = QStandardPaths::findExecutable(cli.value(kcatOpt));
        if (kcat.isEmpty() || !QFileInfo::exists(flowscope)) {
            print(QStringLiteral("record: skipped (need %1 and kcat)\n").arg(flowscope));
            status = 1;
        } else if (benchRecord(flowscope, kcat, lines, runs, cli.isSet(serveOpt)) != 0) {
            status = 1;
        }
    }

    if (only == u"engine" || only == u"fold") {
        // quick: the bare loop and the simulator alone (without events, then with events built and
        // dropped), or the projections' cost per event, on the tandem and the demo, nothing else
        const auto tandem = loadFlow(sourcePath(QStringLiteral("bench/tandem.yaml")));
        const auto demo = loadFlow(QFileInfo(cli.value(demoFlowOpt)).absoluteFilePath());
        if (!tandem || !demo)
            return 1;
        if (only == u"engine") {
            QList<SimRun> loops;
            for (int r = 0; r < runs; ++r)
                loops.append(runBareLoop(simDuration->micros));
            const SimRun ml = medianRun(loops);
            print(QStringLiteral("a bare C++ event loop, median of %1: tandem %2 s (%3 completions)\n")
                      .arg(runs)
                      .arg(ml.wall, 0, 'f', 4)
                      .arg(ml.completions));
            for (const Output output : { Output::None, Output::Dropped }) {
                QList<SimRun> t, d;
                for (int r = 0; r < runs; ++r) {
                    t.append(runEngine(tandem, simDuration->micros, output));
                    d.append(runEngine(demo, demoDuration->micros, output));
                }
                const SimRun mt = medianRun(t), md = medianRun(d);
                print(QStringLiteral("engine, %1, median of %2: tandem %3 s (%4 ns an event), demo %5 s (%6 ns an event)\n")
                          .arg(output == Output::None ? QStringLiteral("no events built") : QStringLiteral("events built, dropped"))
                          .arg(runs)
                          .arg(mt.wall, 0, 'f', 4)
                          .arg(mt.wall * 1e9 / double(std::max<qint64>(1, mt.events)), 0, 'f', 0)
                          .arg(md.wall, 0, 'f', 4)
                          .arg(md.wall * 1e9 / double(std::max<qint64>(1, md.events)), 0, 'f', 0));
            }
            return 0;
        }
        const double t = foldAlone(tandem, simDuration->micros, runs), d = foldAlone(demo, demoDuration->micros, runs);
        if (t < 0 || d < 0) {
            print(QStringLiteral("fold: error: a simulation emitted no events\n"));
            return 1;
        }
        print(QStringLiteral("fold alone (Projections::apply on kept batches), median of %1: tandem %2 ns an event, "
                             "demo %3 ns an event\n")
                  .arg(runs)
                  .arg(t, 0, 'f', 0)
                  .arg(d, 0, 'f', 0));
        return 0;
    }
    if (only.isEmpty() || only == u"sim")
        status = std::max(status, benchSim(flowscope, cli.value(pythonOpt), QFileInfo(cli.value(demoFlowOpt)).absoluteFilePath(),
                          simDuration->micros, demoDuration->micros, runs));
    return status;
}
