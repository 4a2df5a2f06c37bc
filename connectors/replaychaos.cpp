// SPDX-License-Identifier: MIT
#include "replaychaos.h"

#include <flowvalues.h>

#include <QStringList>

#include <cmath>

namespace FlowScope::Connectors {

namespace {
} // namespace

std::optional<ChaosOptions> ChaosOptions::parse(const QString& text, QString* error)
{
    ChaosOptions o;
    const QStringList parts = text.split(u',', Qt::SkipEmptyParts);
    for (const QString& raw : parts) {
        const QString part = raw.trimmed();
        const qsizetype eq = part.indexOf(u'=');
        if (eq <= 0) {
            *error = QStringLiteral("chaos: expected NAME=VALUE, got '%1'").arg(part);
            return std::nullopt;
        }
        const QString name = part.left(eq).trimmed();
        const QString value = part.mid(eq + 1).trimmed();
        if (name == u"dup" || name == u"drop") {
            bool ok = false;
            const double p = value.toDouble(&ok);
            if (!ok || !(p >= 0 && p <= 1)) {
                *error = QStringLiteral("chaos: %1 takes a probability from 0 to 1, got '%2'").arg(name, value);
                return std::nullopt;
            }
            (name == u"dup" ? o.dup : o.drop) = p;
        } else if (name == u"delay") {
            const auto d = Duration::parse(value);
            if (!d || d->micros < 0) {
                *error = QStringLiteral("chaos: delay takes a duration such as 500ms, got '%1'").arg(value);
                return std::nullopt;
            }
            o.delayMicros = d->micros;
        } else if (name == u"reorder") {
            bool ok = false;
            const int n = value.toInt(&ok);
            if (!ok || n < 0 || n > 1000000) {
                *error = QStringLiteral("chaos: reorder takes a window size (events per key), got '%1'").arg(value);
                return std::nullopt;
            }
            o.reorder = n;
        } else {
            *error = QStringLiteral("chaos: unknown '%1' (dup, drop, delay, reorder)").arg(name);
            return std::nullopt;
        }
    }
    return o;
}

QString ChaosOptions::toString() const
{
    QStringList parts;
    if (dup > 0)
        parts.append(QStringLiteral("dup=%1").arg(dup));
    if (drop > 0)
        parts.append(QStringLiteral("drop=%1").arg(drop));
    if (delayMicros > 0)
        parts.append(QStringLiteral("delay=") + Duration::fromMicros(delayMicros).toString());
    if (reorder > 1)
        parts.append(QStringLiteral("reorder=%1").arg(reorder));
    return parts.join(u',');
}

ReplayChaos::ReplayChaos(ChaosOptions options)
    : m_options(options)
    , m_rng(options.seed)
{
}

void ReplayChaos::push(const Event& event, qint64 at)
{
    ++m_counts.events;
    if (at != NoTime)
        m_position = std::max(m_position, at);
    // Both draws are made for every event, so that changing one probability keeps the other's
    // decisions where they were.
    const bool drop = m_rng.uniform() < m_options.drop;
    const bool dup = m_rng.uniform() < m_options.dup;
    if (drop) {
        ++m_counts.dropped;
        return;
    }
    const int copies = dup ? 2 : 1;
    if (dup)
        ++m_counts.duplicated;
    for (int i = 0; i < copies; ++i) {
        if (m_options.reorder <= 1) {
            toDelay(event, at);
            continue;
        }
        auto& window = event.key.isNull() ? m_keyless : m_windows[event.key];
        window.emplace_back(event, at);
        if (window.size() >= size_t(m_options.reorder)) {
            releaseWindow(window, windowPosition(window));
            if (!event.key.isNull())
                m_windows.erase(event.key);
        }
    }
}

// An event leaves at the latest position of its window: never before it was handed over.
qint64 ReplayChaos::windowPosition(const std::deque<std::pair<Event, qint64>>& window)
{
    qint64 at = NoTime;
    for (const auto& [e, t] : window)
        at = std::max(at, t);
    return at;
}

void ReplayChaos::releaseWindow(std::deque<std::pair<Event, qint64>>& window, qint64 at)
{
    const size_t n = window.size();
    std::vector<size_t> index(n);
    for (size_t i = 0; i < n; ++i)
        index[i] = i;
    for (size_t i = n; i > 1; --i) { // Fisher-Yates
        const size_t j = size_t(m_rng.next() % i);
        std::swap(index[i - 1], index[j]);
    }
    for (size_t i = 0; i < n; ++i) {
        if (index[i] != i)
            ++m_counts.reordered;
        toDelay(std::move(window[index[i]].first), at);
    }
    window.clear();
}

void ReplayChaos::toDelay(Event event, qint64 at)
{
    qint64 due = at;
    if (m_options.delayMicros > 0) {
        const qint64 delay = qint64(std::floor(m_rng.uniform() * double(m_options.delayMicros + 1)));
        if (at != NoTime)
            due = at + delay;
    }
    const quint64 order = m_nextOrder++;
    m_held.emplace(order, std::move(event));
    m_due.push(Held { due, order });
}

// The windows left are released at the replay's last position, all of them: each at its own
// latest position, they came due out of the order they were released in (the map's, by key),
// which counted as `delayed` though nothing was delayed.
void ReplayChaos::finish()
{
    for (auto& [key, window] : m_windows)
        releaseWindow(window, m_position);
    m_windows.clear();
    if (!m_keyless.empty())
        releaseWindow(m_keyless, m_position);
}

qint64 ReplayChaos::held() const
{
    qint64 n = qint64(m_held.size() + m_keyless.size());
    for (const auto& [key, window] : m_windows)
        n += qint64(window.size());
    return n;
}

qint64 ReplayChaos::nextDue() const { return m_due.empty() ? NoTime : m_due.top().due; }

bool ReplayChaos::takeDue(qint64 upTo, Event* out)
{
    if (m_due.empty() || m_due.top().due > upTo)
        return false;
    const Held h = m_due.top();
    m_due.pop();
    auto it = m_held.find(h.order);
    *out = std::move(it->second);
    m_held.erase(it);
    if (m_releasedAny && h.order < m_maxReleased)
        ++m_counts.delayed; // a later event went out before this one
    m_maxReleased = m_releasedAny ? std::max(m_maxReleased, h.order) : h.order;
    m_releasedAny = true;
    return true;
}

} // namespace FlowScope::Connectors
