// SPDX-License-Identifier: MIT
#pragma once

#include "source.h"

#include <QString>

class QFile;

#include <condition_variable>
#include <mutex>
#include <thread>

namespace FlowScope::Connectors {

// Follows a JSONL file as it grows, as `tail -F` does (docs/connectors.md "File follow").
//
// - Each line is one event through EventParser::parseLine, as `flowscope import` reads it:
//   CloudEvents in structured mode, kcat -J envelopes, plain JSON objects; anything else is
//   kept as an unparsed event whose error names file:line. Blank lines are skipped.
// - A line is handed over once its newline is there: the last line, while the writer has not
//   finished it, waits. When the file is left (truncation, replacement) a last line without a
//   newline is handed over as it is: it will never get one. At stop() the writer may still be
//   writing it: it is left out, and unfinishedLineBytes() says how much was. A stop() before
//   the end of the file was read leaves the rest, and unreadBytes() says how much.
// - Lines are cut as `import` cuts them (LineSplitter): a byte order mark at byte 0 is skipped,
//   a line longer than EventParser::MaxJsonSize is one unparsed event of its first MaxJsonSize
//   bytes, and the rest of it is dropped.
// - A pipe or FIFO (/dev/stdin) is read as it comes, waiting in poll() so that stop() is
//   honoured within a poll interval however quiet its writer; when the writer closes it, its
//   last line goes as it is, and the source waits for another writer.
// - Reads from the start of the file, or with `fromEnd` only the lines that begin after the
//   start (an unfinished last line at the start is skipped up to its newline).
// - Looks at the file every `pollIntervalMs`: a file that shrank below what was read was
//   truncated (copytruncate rotation), a path that now names another file (another inode) was
//   replaced (rename-and-create rotation): the rest of the old file is read first, then the new
//   one from its start. Either way the status stays Live and its reason says what happened.
//   While the path names no file the status is Retrying with the reason, and the source waits
//   for it to appear again.
// - Pull source: the sink (Engine::push) may wait; meanwhile the file is not read.
//
// Threads: one thread of its own (std::thread) reads, parses and calls the sink; start()
// returns at once, stop() hands over what was read and joins it.
class JsonlFileSource final : public Source {
public:
    struct Options {
        QString path;
        bool fromEnd = false;
        int pollIntervalMs = 100;
        int batchSize = 4096;
    };

    explicit JsonlFileSource(Options options);
    ~JsonlFileSource() override;

    // Whether `path` names a file to follow now: empty, or "PATH: no such file" / "PATH: a
    // directory, not a file". start() itself accepts a missing file and waits for it (Retrying);
    // a user naming the file by hand checks first, so that a typo does not wait forever.
    static QString checkFile(const QString& path);

    bool start(QString* error) override;
    void stop() override;
    QString describe() const override;
    QJsonObject details() const override;
    QStringList warnings() const override;

    // Times the file was found truncated / replaced and read again from its start.
    qint64 truncations() const { return m_truncations.load(); }
    qint64 replacements() const { return m_replacements.load(); }
    // Lines read so far from the current file (blank ones included), its line number.
    qint64 lineNumber() const { return m_lineNumber.load(); }
    // Bytes of the last line that stop() left out because its newline had not come (0: none).
    // Only when it had read to the end of the file: see unreadBytes().
    qint64 unfinishedLineBytes() const { return m_unfinishedLineBytes.load(); }
    // When stop() came before the end of the file was read (still catching up with a large
    // file, or lines written since the last look): where the last line handed over ends, and
    // the bytes from there to the end of the file at the stop, which are not recorded. 0: none.
    qint64 stoppedAtByte() const { return m_stoppedAtByte.load(); }
    qint64 unreadBytes() const { return m_unreadBytes.load(); }

private:
    void run();
    // Waits `ms` or until stop(); returns false when stopping.
    bool pause(int ms);
    // At stop(): sets unfinishedLineBytes() or stoppedAtByte()/unreadBytes().
    void noteWhatStopLeft(const QFile& file, bool stream, qint64 position, qint64 pending, qint64 lineNo);

    Options m_options;
    std::thread m_thread;
    std::mutex m_stopMutex;
    std::condition_variable m_stopChanged;
    bool m_stopRequested = false; // under m_stopMutex
    std::atomic<bool> m_stopping { false };
    std::atomic<qint64> m_truncations { 0 }, m_replacements { 0 }, m_lineNumber { 0 }, m_unfinishedLineBytes { 0 };
    std::atomic<qint64> m_stoppedAtByte { 0 }, m_unreadBytes { 0 };
};

} // namespace FlowScope::Connectors
