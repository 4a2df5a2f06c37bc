// SPDX-License-Identifier: MIT
#pragma once

#include <flowfile.h>
#include <random.h>

#include <QByteArray>

#include <vector>

namespace FlowScope::Sim {

// A load generator's `data:` template (DESIGN.md "Simulator"), compiled once: keys quoted and
// texts encoded ahead, so that rendering a payload only draws its random values and appends (it
// encoded every name and literal from QString on every event).
class DataTemplate final {
public:
    DataTemplate();
    explicit DataTemplate(const std::vector<DataField>& fields);
    DataTemplate(DataTemplate&&) noexcept;
    DataTemplate& operator=(DataTemplate&&) noexcept;
    ~DataTemplate();

    // One event's payload, a JSON object: `${seq}` is `seq` and `${id}` the event's own id, so it
    // can be the flow's id; the random parts are drawn from `rng` in file order. Without fields,
    // a static `{}` that events share without a reference count.
    QByteArray render(Rng& rng, qint64 seq, const QByteArray& id);

private:
    struct Field;
    static std::vector<Field> compile(const std::vector<DataField>& fields);
    void renderObject(QByteArray& out, const std::vector<Field>& fields, Rng& rng, qint64 seq, const QByteArray& id);

    std::vector<Field> m_fields;
    QByteArray m_scratch; // a string value while it is rendered
};

} // namespace FlowScope::Sim
