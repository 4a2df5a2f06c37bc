// SPDX-License-Identifier: MIT
#include "linesplitter.h"

#include <cstring>

namespace FlowScope::Connectors {

namespace {
constexpr QByteArrayView ByteOrderMark("\xEF\xBB\xBF", 3);
}

LineSplitter::LineSplitter(qsizetype maxLineBytes)
    : m_max(maxLineBytes)
{
    startFile();
}

void LineSplitter::startFile()
{
    startAfter(0, false);
    m_atFileStart = true;
}

void LineSplitter::startAfter(qint64 lines, bool midLine)
{
    m_carry.clear();
    m_releaseCarry = false;
    m_p = m_end = nullptr;
    m_lineNumber = lines;
    m_dropping = midLine;
    m_countDropped = midLine;
    m_atFileStart = false;
}

void LineSplitter::feed(QByteArrayView bytes)
{
    m_p = bytes.data();
    m_end = m_p + bytes.size();
}

QByteArrayView LineSplitter::handOut(QByteArrayView line)
{
    ++m_lineNumber;
    if (std::exchange(m_atFileStart, false) && line.startsWith(ByteOrderMark))
        line = line.sliced(ByteOrderMark.size());
    return line;
}

bool LineSplitter::next(QByteArrayView* line, bool* cut)
{
    if (std::exchange(m_releaseCarry, false))
        m_carry.clear(); // frees it: a long line's memory is not kept for the next one
    while (m_p < m_end) {
        const char* nl = static_cast<const char*>(std::memchr(m_p, '\n', size_t(m_end - m_p)));
        if (m_dropping) {
            if (!nl) {
                m_p = m_end;
                return false;
            }
            m_dropping = false;
            if (std::exchange(m_countDropped, false))
                ++m_lineNumber;
            m_p = nl + 1;
            continue;
        }
        const char* stop = nl ? nl : m_end;
        const qsizetype room = m_max - m_carry.size();
        if (stop - m_p > room) {
            // Too long: its head is the line, the rest is dropped without reading it into memory.
            m_carry.append(m_p, room);
            m_p += room;
            m_dropping = true;
            m_releaseCarry = true;
            *line = handOut(m_carry);
            *cut = true;
            return true;
        }
        if (!nl) {
            m_carry.append(m_p, m_end - m_p);
            m_p = m_end;
            return false;
        }
        *cut = false;
        if (m_carry.isEmpty()) {
            *line = handOut(QByteArrayView(m_p, nl - m_p));
        } else {
            m_carry.append(m_p, nl - m_p);
            m_releaseCarry = true;
            *line = handOut(m_carry);
        }
        m_p = nl + 1;
        return true;
    }
    return false;
}

bool LineSplitter::finish(QByteArrayView* line, bool* cut)
{
    m_p = m_end = nullptr;
    const bool had = pendingBytes() > 0;
    m_dropping = m_countDropped = false;
    if (!had) {
        m_carry.clear();
        m_releaseCarry = false;
        return false;
    }
    m_releaseCarry = true;
    *line = handOut(m_carry);
    *cut = false;
    return true;
}

} // namespace FlowScope::Connectors
