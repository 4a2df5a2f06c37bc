// SPDX-License-Identifier: MIT
// flowscope-guibench: is the window still responsive while the simulator runs flat out?
//
// The main window runs the built-in demo (or FLOW) in the simulator at a high speed, every pane
// live, exactly as `flowscope` shows it. A 10 ms timer on the GUI thread measures its own
// lateness: the longest stall is the longest time the window could not react to input. Every
// second the process's resident memory and the events folded so far are sampled.
//
// With --frames it measures one thing instead: what a frame of the topology pane costs the GUI
// thread with the most moving dots it ever shows (GraphView::MaxDots on 80 edges), against the
// same frame without them.
//
// Usage: flowscope-guibench [--duration 60s] [--speed 1000] [--flow FLOW]   (docs/benchmarks.md)
//        flowscope-guibench --frames [--runs 200]
#include <gui/mainwindow.h>
#include <gui/session.h>
#include <topologystate.h>

#include <engine.h>
#include <flowfileparser.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <unistd.h>

using namespace FlowScope;

namespace {
double residentMegabytes()
{
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = f.readAll().split(' ');
    return fields.size() > 1 ? double(fields[1].toLongLong()) * double(sysconf(_SC_PAGESIZE)) / 1048576.0 : -1;
}

double threadCpuMs()
{
    timespec t {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

// With --trace MS: every event the GUI thread handles for MS or longer is printed with its
// receiver and the GUI thread's CPU time in it, which tells work on the GUI thread from the
// thread waiting for a core.
class TracingApplication : public QApplication {
public:
    using QApplication::QApplication;
    double traceMs = 0;
    bool notify(QObject* receiver, QEvent* event) override
    {
        if (traceMs <= 0 || m_depth > 0)
            return QApplication::notify(receiver, event);
        ++m_depth;
        QElapsedTimer wall;
        wall.start();
        const double cpu = threadCpuMs();
        const bool result = QApplication::notify(receiver, event);
        const double ms = double(wall.nsecsElapsed()) / 1e6;
        --m_depth;
        if (ms >= traceMs)
            std::fprintf(stderr, "  trace: %.1f ms (%.1f ms CPU) event %d to %s \"%s\"\n", ms, threadCpuMs() - cpu,
                         int(event->type()), receiver->metaObject()->className(), qPrintable(receiver->objectName()));
        return result;
    }

private:
    int m_depth = 0;
};

// --frames: two topology panes with the same traffic (as tst_topologyview fills one), one with its
// dots and one with them switched off, a frame of each in turn so that both see the same moments
// of a noisy machine. A frame is a step of the animation and the whole view painted into an image
// (the most a frame repaints). Returns the exit code.
int benchFrames(int runs)
{
    struct Pane {
        Tests::TopologyPageOnAClock page;
        Tests::DotTraffic traffic;
        QImage image;
        QList<double> ms;
        QList<int> dots;
    };
    Pane with, without;
    for (Pane* pane : { &with, &without }) {
        Tests::fillWithDots(pane->page, pane->traffic);
        pane->image = QImage(pane->page.view()->viewport()->size(), QImage::Format_ARGB32_Premultiplied);
    }
    without.page.view()->setAnimateEvents(false);
    auto frame = [](Pane& pane, int index) {
        // the traffic goes on, as snapshots bring it: a fifth of a second of it every 6 frames
        // (not timed)
        if (index % 6 == 0)
            pane.traffic.update(pane.page, 0.2);
        pane.page.now += Gui::GraphView::FrameMs;
        QElapsedTimer clock;
        clock.start();
        pane.page.view()->advanceAnimation();
        QPainter painter(&pane.image);
        pane.page.view()->render(&painter);
        painter.end();
        pane.ms.append(double(clock.nsecsElapsed()) / 1e6);
        pane.dots.append(pane.page.view()->liveDotCount());
    };
    for (int i = 0; i < runs; ++i) {
        frame(with, i);
        frame(without, i);
    }
    for (Pane* pane : { &with, &without }) {
        std::sort(pane->ms.begin(), pane->ms.end());
        std::sort(pane->dots.begin(), pane->dots.end());
    }
    auto at = [](const QList<double>& v, double q) { return v[qsizetype(double(v.size() - 1) * q)]; };
    std::printf("topology pane, 160 nodes and 80 edges, a %dx%d view, %d frames each, in turn:\n",
                with.page.view()->viewport()->width(), with.page.view()->viewport()->height(), runs);
    const QString withLabel = QStringLiteral("with dots (%1-%2, median %3)")
                                  .arg(with.dots.first())
                                  .arg(with.dots.last())
                                  .arg(with.dots[with.dots.size() / 2]);
    std::printf("  %-32s median %.2f ms, quickest %.2f ms, 90th percentile %.2f ms\n", qPrintable(withLabel),
                at(with.ms, 0.5), with.ms.first(), at(with.ms, 0.9));
    std::printf("  %-32s median %.2f ms, quickest %.2f ms, 90th percentile %.2f ms\n", "without dots",
                at(without.ms, 0.5), without.ms.first(), at(without.ms, 0.9));
    const double cost = at(with.ms, 0.5) - at(without.ms, 0.5);
    std::printf("  %-32s %.2f ms a frame (medians): %.0f %% of the %d ms between frames\n", "the dots cost", cost,
                cost * 100.0 / Gui::GraphView::FrameMs, Gui::GraphView::FrameMs);
    return without.dots.last() == 0 && with.dots.last() == Gui::GraphView::MaxDots ? 0 : 1;
}
} // namespace

int main(int argc, char* argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    TracingApplication app(argc, argv);
    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("GUI responsiveness with the simulator flat out (docs/benchmarks.md)"));
    cli.addHelpOption();
    const QCommandLineOption durationOpt(QStringLiteral("duration"), QStringLiteral("How long to run (default 60s)."),
                                         QStringLiteral("D"), QStringLiteral("60s"));
    const QCommandLineOption speedOpt(QStringLiteral("speed"), QStringLiteral("Simulation speed, x wall time (default 1000)."),
                                      QStringLiteral("N"), QStringLiteral("1000"));
    const QCommandLineOption flowOpt(QStringLiteral("flow"), QStringLiteral("Flow file (default: the built-in demo)."),
                                     QStringLiteral("FLOW"),
                                     QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/shop.yaml"));
    const QCommandLineOption traceOpt(QStringLiteral("trace"),
                                      QStringLiteral("Print every GUI-thread event handled in MS or longer."),
                                      QStringLiteral("MS"), QStringLiteral("0"));
    const QCommandLineOption framesOpt(QStringLiteral("frames"),
                                       QStringLiteral("Measure a topology frame full of moving dots against one without."));
    const QCommandLineOption runsOpt(QStringLiteral("runs"), QStringLiteral("Frames of each kind for --frames (default 200)."),
                                     QStringLiteral("N"), QStringLiteral("200"));
    cli.addOptions({ durationOpt, speedOpt, flowOpt, traceOpt, framesOpt, runsOpt });
    cli.process(app);
    if (cli.isSet(framesOpt)) {
        const int runs = cli.value(runsOpt).toInt();
        if (runs < 1) {
            std::fprintf(stderr, "flowscope-guibench: --runs takes a whole number of at least 1\n");
            return 2;
        }
        return benchFrames(runs);
    }
    app.traceMs = cli.value(traceOpt).toDouble();
    const auto duration = Duration::parse(cli.value(durationOpt));
    if (!duration || duration->micros <= 0) {
        std::fprintf(stderr, "flowscope-guibench: --duration takes a duration such as 60s or 10m\n");
        return 2;
    }
    const FlowParseResult parsed = FlowFileParser::parseFile(cli.value(flowOpt));
    if (!parsed.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(parsed.errorText()));
        return 2;
    }
    Gui::MainWindow window;
    window.resize(1500, 950);
    window.show();
    if (!window.startSimulation(std::make_shared<const Flow>(*parsed.flow)))
        return 1;
    window.setSpeed(cli.value(speedOpt).toDouble());

    constexpr int TickMs = 10;
    constexpr qint64 WarmUpMs = 2000; // start-up (first layout, first snapshot) is not steady state
    QElapsedTimer clock;
    clock.start();
    qint64 lastTick = 0, longest = 0, over50 = 0, ticks = 0;
    bool quitting = false;
    QList<qint64> lateness;
    double rssStart = -1, rssMax = 0, rss = 0, recordingMbMax = 0;
    qint64 eventsAtWarmUp = -1, events = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        if (now > WarmUpMs && lastTick > 0 && !quitting) {
            const qint64 late = std::max<qint64>(0, now - lastTick - TickMs);
            lateness.append(late);
            longest = std::max(longest, late);
            if (late >= 50) {
                ++over50;
                std::fprintf(stderr, "%6.1f s: the GUI thread stalled %lld ms\n", double(now) / 1000.0,
                             static_cast<long long>(late));
            }
            ++ticks;
        }
        lastTick = now;
    });
    tick.start(TickMs);
    QTimer sample;
    QObject::connect(&sample, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        rss = residentMegabytes();
        if (window.session()) {
            const QString rec = window.session()->recordingPath();
            recordingMbMax = std::max(recordingMbMax, double(QFileInfo(rec).size() + QFileInfo(rec + QStringLiteral("-wal")).size()) / 1048576.0);
        }
        rssMax = std::max(rssMax, rss);
        events = window.session() && window.session()->snapshot() ? window.session()->snapshot()->events : 0;
        if (now >= WarmUpMs && eventsAtWarmUp < 0) {
            eventsAtWarmUp = events;
            rssStart = rss;
        }
        if (now / 1000 % 60 == 0 || now >= duration->micros / 1000)
            std::fprintf(stderr, "%4lld s: %lld events folded, %.0f MB resident, longest stall so far %lld ms\n",
                         static_cast<long long>(now / 1000), static_cast<long long>(events), rss,
                         static_cast<long long>(longest));
        if (now >= duration->micros / 1000) {
            quitting = true; // closing the window stops the session: not a stall while in use
            QApplication::quit();
        }
    });
    sample.start(1000);
    QApplication::exec();

    std::sort(lateness.begin(), lateness.end());
    const qint64 p99 = lateness.isEmpty() ? 0 : lateness[qsizetype(double(lateness.size() - 1) * 0.99)];
    const double seconds = double(clock.elapsed() - WarmUpMs) / 1000.0;
    std::printf("GUI thread with the simulator at %sx for %s (after %lld s of warm-up):\n", qPrintable(cli.value(speedOpt)),
                qPrintable(cli.value(durationOpt)), static_cast<long long>(WarmUpMs / 1000));
    std::printf("  events folded          %.0f k/s\n", double(events - eventsAtWarmUp) / seconds / 1e3);
    std::printf("  timer ticks            %lld of %d ms\n", static_cast<long long>(ticks), TickMs);
    std::printf("  longest stall          %lld ms (goal < 50 ms)\n", static_cast<long long>(longest));
    std::printf("  99th percentile        %lld ms\n", static_cast<long long>(p99));
    std::printf("  stalls >= 50 ms        %lld\n", static_cast<long long>(over50));
    std::printf("  resident memory        %.0f MB after warm-up, %.0f MB at the end, %.0f MB at most\n", rssStart, rss, rssMax);
    std::printf("  session recording      %.0f MB on disk at most (the window keeps the newest %lld events)\n",
                recordingMbMax, static_cast<long long>(Gui::SessionRetention));
    return 0;
}
