// SPDX-License-Identifier: MIT
#include "jsonlfilesource.h"

#include <eventparser.h>
#include <threadpriority.h>
#include <timeformat.h>

#include "linesplitter.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QLoggingCategory>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

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

QJsonObject JsonlFileSource::details() const
{
    return QJsonObject { { QStringLiteral("unfinished_line_bytes"), unfinishedLineBytes() },
                         { QStringLiteral("unread_bytes"), unreadBytes() } };
}

// A last line still without its newline is not recorded (docs/connectors.md), nor is what a stop
// before the end left unread: say so.
QStringList JsonlFileSource::warnings() const
{
    QStringList lines;
    if (const qint64 unfinished = unfinishedLineBytes(); unfinished > 0)
        lines.append(QStringLiteral("%1: the last line had no newline yet when recording stopped (%2 bytes): not recorded")
                         .arg(m_options.path)
                         .arg(unfinished));
    if (const qint64 unread = unreadBytes(); unread > 0)
        lines.append(QStringLiteral("%1: stopped at byte %2 of %3; the rest (%4 bytes) was not read")
                         .arg(m_options.path)
                         .arg(stoppedAtByte())
                         .arg(stoppedAtByte() + unread)
                         .arg(unread));
    return lines;
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
    m_unfinishedLineBytes = 0;
    m_stoppedAtByte = 0;
    m_unreadBytes = 0;
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
    QFile file;
    FileId fileId;
    qint64 position = 0; // bytes of the current file read so far
    LineSplitter lines(EventParser::MaxJsonSize); // as `import` cuts them
    bool stream = false; // a pipe or FIFO (/dev/stdin): no size, no seeking, and read() would wait
    bool writerGone = false; // stream: its writer closed it
    QString streamError; // stream: why the last read failed
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
    auto takeLine = [&](QByteArrayView line, bool cut) {
        if (!line.isEmpty() && line.back() == '\r')
            line.chop(1);
        if (isBlank(line))
            return;
        m_counters.received.fetch_add(1, std::memory_order_relaxed);
        Event e = cut ? EventParser::cutLine(line) : parser.parseLine(line);
        e.ingestTime = TimeFormat::nowMicros();
        if (e.isUnparsed())
            e.setError(fileName + ':' + QByteArray::number(lines.lineNumber()) + ": " + e.error());
        batch.append(std::move(e));
        if (batch.size() >= m_options.batchSize)
            handOver();
    };
    // Hands over the lines of what was read; the unfinished last one waits in `lines`.
    auto takeBytes = [&](QByteArrayView bytes) {
        QByteArrayView line;
        bool cut = false;
        lines.feed(bytes);
        while (more && lines.next(&line, &cut))
            takeLine(line, cut);
        m_lineNumber.store(lines.lineNumber(), std::memory_order_relaxed);
    };
    // The end of a file we leave (replaced or truncated) or whose writer closed it (a pipe): its
    // last line has no newline and never will, so it goes as it is.
    auto endOfFile = [&] {
        QByteArrayView line;
        bool cut = false;
        if (lines.finish(&line, &cut) && more)
            takeLine(line, cut);
        handOver();
    };
    // A pipe or FIFO: read() would wait as long as the writer is quiet, and stop() with it.
    // poll() waits at most a poll interval; nothing by then reads as 0 bytes (caught up).
    auto readStream = [&]() -> qint64 {
        pollfd pfd { file.handle(), POLLIN, 0 };
        const int ready = ::poll(&pfd, 1, m_options.pollIntervalMs);
        const qint64 n = ready <= 0 ? ready : qint64(::read(pfd.fd, block.data(), size_t(block.size())));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        streamError = n < 0 ? qt_error_string(errno) : QString();
        writerGone = ready > 0 && n == 0;
        return n;
    };
    // Reads to the end of what is there now; false on a read error (`fatal` says which).
    auto readAvailable = [&]() -> bool {
        while (more && !m_stopping.load(std::memory_order_relaxed)) {
            const qint64 n = stream ? readStream() : file.read(block.data(), block.size());
            if (n < 0) {
                fatal = QStringLiteral("%1: read error at byte %2: %3")
                            .arg(path)
                            .arg(position)
                            .arg(stream ? streamError : file.errorString());
                return false;
            }
            if (n == 0)
                break;
            position += n;
            m_counters.bytes.fetch_add(n, std::memory_order_relaxed);
            takeBytes(QByteArrayView(block.constData(), n));
        }
        handOver(); // caught up: what came is handed over now, not when a batch fills
        return true;
    };
    auto openFile = [&]() -> bool {
        // O_NONBLOCK: opening a FIFO waits for a writer otherwise, and stop() with it.
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            const QString why = qt_error_string(errno);
            setStatus(SourceState::Retrying, QStringLiteral("%1: %2; waiting for it").arg(path, why));
            return false;
        }
        struct stat st { };
        stream = ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode);
        if (!stream)
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        file.open(fd, QIODevice::ReadOnly | QIODevice::Unbuffered, QFileDevice::AutoCloseHandle);
        writerGone = false;
        qint64 size = 0;
        fileId = idOfOpenFile(file.handle(), &size).value_or(FileId {});
        position = 0;
        lines.startFile();
        if (firstOpen && m_options.fromEnd && !stream && size > 0) {
            // Count the lines before the end so that errors still name the right line.
            qint64 lineNo = 0;
            bool midLine = false; // the file ends inside a line, which is not ours
            while (position < size) {
                const qint64 n = file.read(block.data(), std::min<qint64>(block.size(), size - position));
                if (n <= 0)
                    break;
                const char* p = block.constData();
                for (const char* end = p + n; (p = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p))));
                     ++p)
                    ++lineNo;
                midLine = block.at(n - 1) != '\n';
                position += n;
            }
            lines.startAfter(lineNo, midLine);
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
        if (stream) {
            // No size to compare, no inode to change: poll() in readStream() did the waiting. A
            // writer that closed it makes poll() return at once, hence the pause.
            if (writerGone) {
                endOfFile();
                if (!pause(m_options.pollIntervalMs))
                    break;
            }
            continue;
        }

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
            lines.startFile();
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
    if (fatal.isEmpty() && more && m_stopping.load())
        noteWhatStopLeft(file, stream, position, lines.pendingBytes(), lines.lineNumber());
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

void JsonlFileSource::noteWhatStopLeft(const QFile& file, bool stream, qint64 position, qint64 pending, qint64 lineNo)
{
    qint64 size = position; // a stream has no size: what was read is all we know of
    if (!stream)
        idOfOpenFile(file.handle(), &size);
    if (size > position) {
        // Stopped before reading to the end (still catching up, or written to since the last
        // look): the bytes held are a piece of a line whose newline is in what was not read.
        const qint64 at = position - pending; // where the last line handed over ends
        m_stoppedAtByte.store(at);
        m_unreadBytes.store(size - at);
        qCDebug(LOG_FOLLOW).noquote() << QStringLiteral("%1: following stopped at byte %2 of %3: the rest was not read")
                                             .arg(m_options.path)
                                             .arg(at)
                                             .arg(size);
    } else if (pending > 0) {
        // At the end: the writer may still be writing the last line. A line is recorded once its
        // newline is there (docs/cli.md), so half of one is left out, and said so, rather than
        // recorded as an unparsed event that the file never held.
        m_unfinishedLineBytes.store(pending);
        qCDebug(LOG_FOLLOW).noquote() << QStringLiteral("%1:%2: the last line had no newline when following stopped "
                                                       "(%3 bytes): not recorded")
                                             .arg(m_options.path)
                                             .arg(lineNo + 1)
                                             .arg(pending);
    }
}

} // namespace FlowScope::Connectors
