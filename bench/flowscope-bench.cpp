// SPDX-License-Identifier: MIT
// flowscope-bench: the numbers in docs/benchmarks.md, each against its baseline in the same run.
//
//   parse   EventParser (simdjson on demand) vs QJsonDocument picking out the same attributes
//   import  `flowscope import` of a file vs the sqlite3 shell's `.import` of the same lines as raw text
//
// Usage: flowscope-bench [--events N] [--flowscope PATH] [--sqlite3 PATH] [--runs K] [--only parse|import]
#include <eventparser.h>
#include <timeformat.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <random>

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

} // namespace

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
    const QCommandLineOption onlyOpt(QStringLiteral("only"), QStringLiteral("parse or import."), QStringLiteral("WHAT"));
    cli.addOptions({ eventsOpt, runsOpt, flowscopeOpt, sqliteOpt, onlyOpt });
    cli.process(app);
    const qint64 n = cli.value(eventsOpt).toLongLong();
    const int runs = std::max(1, cli.value(runsOpt).toInt());
    const QString only = cli.value(onlyOpt);

    const QByteArray data = makeLines(n);
    const QList<QByteArrayView> lines = splitLines(data);
    print(QStringLiteral("%1 CloudEvents lines, %2 bytes on average, median of %3 runs\n\n")
              .arg(lines.size())
              .arg(static_cast<double>(data.size()) / static_cast<double>(lines.size()), 0, 'f', 0)
              .arg(runs));

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
        QString flowscope = cli.value(flowscopeOpt);
        if (flowscope.isEmpty())
            flowscope = QCoreApplication::applicationDirPath() + QStringLiteral("/../app/flowscope");
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
        print(QStringLiteral("  ratio                    %1x the raw import's time (goal <= 1.2x)\n").arg(o / b, 0, 'f', 2));
    }
    return 0;
}
