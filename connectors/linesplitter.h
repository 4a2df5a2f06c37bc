// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace FlowScope::Connectors {

// Cuts the bytes of a JSONL file, read in blocks, into lines; `flowscope import` and the follow
// source share it so that a file gives the same events and line numbers both ways.
//
// - A line is handed out without its '\n' (a '\r' before it stays: the caller drops it).
// - A line longer than `maxLineBytes` is handed out once, as its first maxLineBytes bytes with
//   `cut` set; the rest of it is dropped up to its newline, which starts no new line. Memory
//   stays bounded by maxLineBytes whatever the file holds (a binary file has no newlines).
// - A UTF-8 byte order mark (EF BB BF) at byte 0 of the file is not part of line 1: editors on
//   Windows (PowerShell's Out-File) write one, and line 1 would not be JSON with it.
//
// Usage: feed() a block, then next() until it returns false; the unfinished last line waits for
// the next block. Not thread-safe; one per file being read.
class LineSplitter final {
public:
    explicit LineSplitter(qsizetype maxLineBytes);

    // A file read from byte 0: line numbers start again, a byte order mark is skipped.
    void startFile();
    // A file joined after its first `lines` newlines (following from its end). `midLine`: the
    // bytes up to the next newline end a line begun before; they are not handed out, but their
    // newline counts a line.
    void startAfter(qint64 lines, bool midLine);

    // The next bytes read. They must stay valid until next() has returned false.
    void feed(QByteArrayView bytes);
    // The next complete line of what was fed; false when the rest waits for its newline.
    bool next(QByteArrayView* line, bool* cut);
    // At the end of a file that is left or finished: its last line, which has no newline and
    // never will; false when there is none.
    bool finish(QByteArrayView* line, bool* cut);

    // The number of the line last handed out (or skipped); lines count from 1.
    qint64 lineNumber() const { return m_lineNumber; }
    // Bytes of the line under way, held until its newline comes (0 while dropping the rest of a
    // cut line: that line was handed out already).
    qsizetype pendingBytes() const { return m_dropping || m_releaseCarry ? 0 : m_carry.size(); }

private:
    QByteArrayView handOut(QByteArrayView line);

    qsizetype m_max;
    QByteArray m_carry; // the line under way, across blocks
    const char* m_p = nullptr;
    const char* m_end = nullptr;
    qint64 m_lineNumber = 0;
    bool m_releaseCarry = false; // m_carry was handed out: cleared at the next call
    bool m_dropping = false; // dropping bytes up to the next newline
    bool m_countDropped = false; // and that newline ends a line not counted yet
    bool m_atFileStart = false; // the next line begins at byte 0 of the file
};

} // namespace FlowScope::Connectors
