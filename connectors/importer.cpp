// SPDX-License-Identifier: MIT
#include "importer.h"

#include "linesplitter.h"

#include <eventparser.h>
#include <recording.h>
#include <timeformat.h>

#include <QFile>
#include <QFileInfo>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace FlowScope::Connectors {
namespace {

bool isBlank(QByteArrayView line)
{
    for (char c : line)
        if (c != ' ' && c != '\t' && c != '\r')
            return false;
    return true;
}

struct ParsedBatch {
    EventBatch events;
    qint64 bytesDone = 0; // of the file, when this batch was complete
};

// A small bounded queue between the parsing thread and the writing one: when the writer falls
// behind, the reader waits (a file is a pull source: nothing is dropped).
class BatchQueue {
public:
    explicit BatchQueue(size_t capacity)
        : m_capacity(capacity)
    {
    }
    // Returns false when the consumer has given up.
    bool push(ParsedBatch&& b)
    {
        std::unique_lock lock(m_mutex);
        m_notFull.wait(lock, [&] { return m_items.size() < m_capacity || m_abandoned; });
        if (m_abandoned)
            return false;
        m_items.push_back(std::move(b));
        m_notEmpty.notify_one();
        return true;
    }
    // Returns false at the end of the stream.
    bool pop(ParsedBatch* b)
    {
        std::unique_lock lock(m_mutex);
        m_notEmpty.wait(lock, [&] { return !m_items.empty() || m_closed; });
        if (m_items.empty())
            return false;
        *b = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return true;
    }
    // Written batches go back to the reader thread to be freed there: glibc frees memory of
    // another thread's arena slowly, and the writer thread is the bottleneck.
    void recycle(ParsedBatch&& b)
    {
        std::lock_guard lock(m_mutex);
        m_spent.push_back(std::move(b));
    }
    std::vector<ParsedBatch> takeSpent()
    {
        std::lock_guard lock(m_mutex);
        return std::exchange(m_spent, {});
    }
    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_notEmpty.notify_all();
    }
    void abandon()
    {
        std::lock_guard lock(m_mutex);
        m_abandoned = true;
        m_notFull.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_notFull, m_notEmpty;
    std::deque<ParsedBatch> m_items;
    std::vector<ParsedBatch> m_spent;
    size_t m_capacity;
    bool m_closed = false;
    bool m_abandoned = false;
};

} // namespace

bool Importer::importFile(const QString& path, RecordingWriter& writer, ImportReport* report, QString* error,
                          const Progress& progress, const std::atomic<bool>* cancel)
{
    *report = {};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    const qint64 total = file.size();
    const QByteArray fileName = QFileInfo(path).fileName().toUtf8();

    // Reading and parsing run on their own thread, SQLite on this one: the two halves take
    // about the same time, so on two cores the import costs little more than the writes.
    BatchQueue queue(4);
    ImportReport parsed; // written by the reader thread only, read after join()
    QString readError;
    std::thread reader([&] {
        EventParser parser;
        ParsedBatch batch;
        batch.events.reserve(BatchSize);
        constexpr qint64 BlockSize = 4 * 1024 * 1024;
        LineSplitter lines(EventParser::MaxJsonSize);
        QByteArray block;
        bool stopped = false;
        QByteArrayView next;
        bool nextCut = false;

        auto ship = [&]() {
            if (batch.events.isEmpty())
                return;
            const qint64 now = TimeFormat::nowMicros();
            for (Event& e : batch.events)
                e.ingestTime = now;
            batch.bytesDone = parsed.bytes;
            queue.takeSpent(); // destroyed here, on the thread that allocated them
            if (!queue.push(std::move(batch)))
                stopped = true;
            batch = {};
            batch.events.reserve(BatchSize);
        };
        auto handleLine = [&](QByteArrayView line, bool cut) {
            const qint64 lineNo = lines.lineNumber();
            parsed.lines = lineNo;
            if (!line.isEmpty() && line.back() == '\r')
                line.chop(1);
            if (isBlank(line)) {
                ++parsed.emptyLines;
                return;
            }
            Event e = cut ? EventParser::cutLine(line) : parser.parseLine(line);
            if (e.isUnparsed()) {
                ++parsed.unparsed;
                if (parsed.firstBadLines.size() < ImportReport::MaxBadLines)
                    parsed.firstBadLines.append({ lineNo, e.error() });
                e.setError(fileName + ':' + QByteArray::number(lineNo) + ": " + e.error());
            }
            batch.events.append(std::move(e));
            if (batch.events.size() >= BatchSize)
                ship();
        };

        while (!stopped) {
            if (cancel && cancel->load(std::memory_order_relaxed))
                break;
            block.resize(BlockSize);
            const qint64 n = file.read(block.data(), BlockSize);
            if (n < 0) {
                readError = QStringLiteral("%1: %2").arg(path, file.errorString());
                break;
            }
            if (n == 0) {
                if (lines.finish(&next, &nextCut)) // the last line has no newline
                    handleLine(next, nextCut);
                break;
            }
            block.truncate(n);
            parsed.bytes += n;
            lines.feed(block);
            while (!stopped && lines.next(&next, &nextCut))
                handleLine(next, nextCut);
        }
        if (!stopped)
            ship();
        queue.close();
    });

    bool writeOk = true;
    qint64 stored = 0;
    qint64 lastPermille = -1;
    ParsedBatch batch;
    while (queue.pop(&batch)) {
        if (!writer.append(batch.events, error)) {
            writeOk = false;
            queue.abandon(); // the reader stops at its next batch
            while (queue.pop(&batch)) { }
            break;
        }
        stored += batch.events.size();
        if (progress && total > 0) {
            const qint64 permille = batch.bytesDone * 1000 / total;
            if (permille != lastPermille) { // throttled: at most 1000 reports per file
                lastPermille = permille;
                progress(batch.bytesDone, total);
            }
        }
        queue.recycle(std::move(batch));
    }
    reader.join();

    *report = parsed;
    report->events = stored;
    if (!writeOk)
        return false;
    if (!readError.isEmpty()) {
        *error = readError;
        return false;
    }
    return true;
}

} // namespace FlowScope::Connectors
