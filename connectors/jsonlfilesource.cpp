// SPDX-License-Identifier: MIT
#include "jsonlfilesource.h"

#include <eventparser.h>
#include <threadpriority.h>
#include <timeformat.h>

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include <cstring>
#include <optional>

#include <sys/stat.h>

namespace {
Q_LOGGING_CATEGORY(LOG_FOLLOW, "flowscope.follow", QtInfoMsg)
}

namespace FlowScope::Connectors {

namespace {

constexpr qint64 ReadBlock = 1024 * 1024;

// Which file a path or an open descriptor is: a replaced file has another inode.
struct FileId {
    dev_t device = 0;
    ino_t inode = 0;
    friend bool operator==(const FileId&, const FileId&) = default;
};

std::optional<FileId> idOfPath(const QString& path)
{
    struct stat st { };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return std::nullopt;
    return FileId { st.st_dev, st.st_ino };
}

std::optional<FileId> idOfOpenFile(int fd, qint64* size)
{
    struct stat st { };
    if (fd < 0 || ::fstat(fd, &st) != 0)
        return std::nullopt;
    *size = qint64(st.st_size);
    return FileId { st.st_dev, st.st_ino };
}

bool isBlank(QByteArrayView line)
{
    for (char c : line)
        if (c != ' ' && c != '\t' && c != '\r')
            return false;
    return true;
}

} // namespace

JsonlFileSource::JsonlFileSource(Options options)
    : m_options(std::move(options))
{
}

JsonlFileSource::~JsonlFileSource() { stop(); }

QString JsonlFileSource::checkFile(const QString& path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return QStringLiteral("%1: no such file").arg(path);
    if (info.isDir())
        return QStringLiteral("%1: a directory, not a file").arg(path);
    return {};
}

QString JsonlFileSource::describe() const
{
    return QStringLiteral("follow %1 (from %2)")
        .arg(m_options.path, m_options.fromEnd ? QStringLiteral("end") : QStringLiteral("beginning"));
}

bool JsonlFileSource::start(QString* error)
{
    if (m_thread.joinable()) {
        *error = QStringLiteral("already started");
        return false;
    }
    if (m_options.path.isEmpty()) {
        *error = QStringLiteral("follow: no file given");
        return false;
    }
    if (m_options.pollIntervalMs <= 0 || m_options.batchSize <= 0) {
        *error = QStringLiteral("follow %1: the poll interval and batch size must be positive").arg(m_options.path);
        return false;
    }
    if (QFileInfo(m_options.path).isDir()) {
        *error = QStringLiteral("follow %1: a directory, not a file").arg(m_options.path);
        return false;
    }
    {
        std::lock_guard lock(m_stopMutex);
        m_stopRequested = false;
    }
    m_stopping = false;
    setStatus(SourceState::Connecting);
    m_thread = std::thread([this] { run(); });
    return true;
}

void JsonlFileSource::stop()
{
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard lock(m_stopMutex);
        m_stopRequested = true;
    }
    m_stopping = true;
    m_stopChanged.notify_all();
    m_thread.join();
    setStatus(SourceState::Stopped, status().state == SourceState::Stopped ? status().reason : QString());
}

bool JsonlFileSource::pause(int ms)
{
    std::unique_lock lock(m_stopMutex);
    return !m_stopChanged.wait_for(lock, std::chrono::milliseconds(ms), [this] { return m_stopRequested; });
}

void JsonlFileSource::run()
{
    setCurrentThreadName("fs-follow");
    const QString& path = m_options.path;
    const QByteArray fileName = QFileInfo(path).fileName().toUtf8();
    EventParser parser;
    EventBatch batch;
    batch.reserve(m_options.batchSize);
    QFile file(path);
    FileId fileId;
    qint64 position = 0; // bytes of the current file read so far
    qint64 lineNo = 0;
    QByteArray carry; // the last line, until its newline comes
    bool skipToNewline = false; // fromEnd: the line under way at the start is not ours
    bool firstOpen = true;
    bool more = true; // false once the sink takes no more (limit reached, engine stopped)
    QString fatal;
    QString note; // what the Live status says after a truncation or a replacement
    QByteArray block(ReadBlock, Qt::Uninitialized);

    auto handOver = [&] {
        if (batch.isEmpty() || !more)
            return;
        more = deliver(batch);
        batch = EventBatch();
        batch.reserve(m_options.batchSize);
    };
    auto takeLine = [&](QByteArrayView line) {
        ++lineNo;
        if (!line.isEmpty() && line.back() == '\r')
            line.chop(1);
        if (isBlank(line))
            return;
        m_counters.received.fetch_add(1, std::memory_order_relaxed);
        Event e = parser.parseLine(line);
        e.ingestTime = TimeFormat::nowMicros();
        if (e.isUnparsed())
            e.setError(fileName + ':' + QByteArray::number(lineNo) + ": " + e.error());
        batch.append(std::move(e));
        if (batch.size() >= m_options.batchSize)
            handOver();
    };
    // Splits what was read into lines; the unfinished last one waits in `carry`.
    auto takeBytes = [&](const char* p, const char* end) {
        if (skipToNewline) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
            if (!nl)
                return;
            skipToNewline = false;
            ++lineNo;
            p = nl + 1;
        }
        while (p < end && more) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
            if (!nl) {
                carry.append(p, end - p);
                // A "line" this long is not JSONL (a binary file?): memory stays bounded, and the
                // parser keeps it as opaque bytes.
                if (carry.size() > EventParser::MaxJsonSize)
                    takeLine(std::exchange(carry, {}));
                break;
            }
            if (!carry.isEmpty()) {
                carry.append(p, nl - p);
                takeLine(carry);
                carry.clear();
            } else {
                takeLine(QByteArrayView(p, nl - p));
            }
            p = nl + 1;
        }
        m_lineNumber.store(lineNo, std::memory_order_relaxed);
    };
    // The end of a file we leave (replaced or truncated): its last line has no newline and
    // never will, so it goes as it is.
    auto endOfFile = [&] {
        if (!carry.isEmpty() && more)
            takeLine(std::exchange(carry, {}));
        carry.clear();
        handOver();
    };
    // Reads to the end of what is there now; false on a read error (`fatal` says which).
    auto readAvailable = [&]() -> bool {
        while (more && !m_stopping.load(std::memory_order_relaxed)) {
            const qint64 n = file.read(block.data(), block.size());
            if (n < 0) {
                fatal = QStringLiteral("%1: read error at byte %2: %3").arg(path).arg(position).arg(file.errorString());
                return false;
            }
            if (n == 0)
                break;
            position += n;
            m_counters.bytes.fetch_add(n, std::memory_order_relaxed);
            takeBytes(block.constData(), block.constData() + n);
        }
        handOver(); // caught up: what came is handed over now, not when a batch fills
        return true;
    };
    auto openFile = [&]() -> bool {
        file.setFileName(path);
        if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered)) {
            setStatus(SourceState::Retrying, QStringLiteral("%1: %2; waiting for it").arg(path, file.errorString()));
            return false;
        }
        qint64 size = 0;
        fileId = idOfOpenFile(file.handle(), &size).value_or(FileId {});
        position = 0;
        lineNo = 0;
        carry.clear();
        if (firstOpen && m_options.fromEnd && size > 0) {
            // Count the lines before the end so that errors still name the right line.
            while (position < size) {
                const qint64 n = file.read(block.data(), std::min<qint64>(block.size(), size - position));
                if (n <= 0)
                    break;
                const char* p = block.constData();
                for (const char* end = p + n; (p = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p))));
                     ++p)
                    ++lineNo;
                skipToNewline = block.at(n - 1) != '\n';
                position += n;
            }
            m_lineNumber.store(lineNo, std::memory_order_relaxed);
        }
        firstOpen = false;
        setStatus(SourceState::Live, note);
        return true;
    };

    while (more && !m_stopping.load()) {
        if (!file.isOpen() && !openFile()) {
            if (!pause(m_options.pollIntervalMs))
                break;
            continue;
        }
        if (!readAvailable())
            break;
        if (!more || m_stopping.load())
            break;

        // Has the file been truncated or replaced since?
        qint64 size = 0;
        const auto openId = idOfOpenFile(file.handle(), &size);
        const auto pathId = idOfPath(path);
        if (openId && size < position) {
            endOfFile();
            m_truncations.fetch_add(1, std::memory_order_relaxed);
            note = QStringLiteral("%1 was truncated (%2 bytes, %3 had been read): reading it again from the start")
                       .arg(path)
                       .arg(size)
                       .arg(position);
            qCInfo(LOG_FOLLOW).noquote() << note;
            file.seek(0);
            position = 0;
            lineNo = 0;
            skipToNewline = false;
            setStatus(SourceState::Live, note);
            continue; // read it at once
        }
        if (pathId && *pathId != fileId) {
            // Renamed away and created anew (log rotation): what the writer put into the old
            // file before it let go is read first, then the new file from its start.
            if (!readAvailable())
                break;
            endOfFile();
            file.close();
            m_replacements.fetch_add(1, std::memory_order_relaxed);
            note = QStringLiteral("%1 was replaced by a new file: reading that from the start").arg(path);
            qCInfo(LOG_FOLLOW).noquote() << note;
            skipToNewline = false;
            continue;
        }
        if (!pathId) {
            // Moved away or deleted, no new one yet: the writer may still add to the old one,
            // which stays open until a new file takes the name.
            setStatus(SourceState::Retrying,
                QStringLiteral("%1: no such file any more (moved or deleted); waiting for a new one").arg(path));
        } else if (status().state == SourceState::Retrying) {
            setStatus(SourceState::Live, note);
        }
        if (!pause(m_options.pollIntervalMs))
            break;
    }
    if (fatal.isEmpty() && more && m_stopping.load() && !carry.isEmpty()) {
        // stop(): the writer may still be writing the last line. A line is recorded once its
        // newline is there (docs/cli.md), so half of one is left out, and said so, rather than
        // recorded as an unparsed event that the file never held.
        m_unfinishedLineBytes.store(carry.size());
        qCDebug(LOG_FOLLOW).noquote() << QStringLiteral("%1:%2: the last line had no newline when following stopped "
                                                       "(%3 bytes): not recorded")
                                            .arg(path)
                                            .arg(lineNo + 1)
                                            .arg(carry.size());
        carry.clear();
    }
    handOver();
    if (!fatal.isEmpty()) {
        qCWarning(LOG_FOLLOW).noquote() << fatal;
        markFinished();
        setStatus(SourceState::Stopped, fatal);
    } else if (!more) {
        markFinished(); // the limit is reached, or the engine takes no more
        setStatus(SourceState::Stopped);
    }
}

} // namespace FlowScope::Connectors
