// SPDX-License-Identifier: MIT
#include "flowfileparser.h"
#include "flowfileparser_p.h"

#include <QFile>
#include <QFileInfo>

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

using namespace Qt::StringLiterals;

namespace FlowScope {

// ---- Public API -------------------------------------------------------------------------------

QString FlowError::toString() const
{
    // Concatenated rather than arg()-chained: a message may itself contain "%1" or "5%".
    QString s = file;
    if (line > 0)
        s += u':' + QString::number(line) + u':' + QString::number(column);
    s += u": error: "_s + message;
    if (!hint.isEmpty())
        s += u"\n  hint: "_s + hint;
    return s;
}

QString FlowParseResult::errorText() const
{
    QStringList lines;
    for (const FlowError& e : errors)
        lines.append(e.toString());
    return lines.join(u'\n');
}

FlowParseResult FlowFileParser::parseFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        FlowParseResult result;
        result.errors.append({ path, 0, 0, u"cannot open the flow file: "_s + file.errorString(), {} });
        return result;
    }
    return parseText(file.readAll(), path);
}

namespace {

// Finds where a second YAML document with content starts. Not YAML::LoadAll: yaml-cpp 0.7 can
// return empty documents forever on some malformed input (a stray `,` before the first key),
// so the count is capped here.
class SecondDocumentFinder final : public YAML::EventHandler {
public:
    void OnDocumentStart(const YAML::Mark&) override { ++m_documents; }
    void OnDocumentEnd() override { }
    void OnNull(const YAML::Mark&, YAML::anchor_t) override { }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { content(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override
    {
        content(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        content(mark);
    }
    void OnSequenceEnd() override { }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        content(mark);
    }
    void OnMapEnd() override { }

    std::optional<YAML::Mark> second;

private:
    void content(const YAML::Mark& mark)
    {
        if (m_documents == 2 && !second)
            second = mark;
    }
    int m_documents = 0;
};

std::optional<YAML::Mark> secondDocument(const std::string& data)
{
    std::istringstream stream(data);
    YAML::Parser parser(stream);
    SecondDocumentFinder finder;
    for (int i = 0; i < 2 && parser.HandleNextDocument(finder); ++i) { }
    return finder.second;
}

// The first line with something other than blanks, comments and document markers.
SourcePos firstContent(const QByteArray& text)
{
    int line = 0;
    for (const QByteArray& l : text.split('\n')) {
        ++line;
        const QByteArray t = l.trimmed();
        if (!t.isEmpty() && !t.startsWith('#') && t != "---" && t != "...")
            return { line, int(l.indexOf(t.front())) + 1 };
    }
    return {};
}

} // namespace

FlowParseResult FlowFileParser::parseText(const QByteArray& text, const QString& fileName)
{
    using FlowParse::FlowReader;
    FlowParseResult result;
    FlowReader reader(fileName);
    reader.setSource(text);
    try {
        const std::string data(text.constData(), size_t(text.size()));
        const YAML::Node root = YAML::Load(data);
        if (const std::optional<YAML::Mark> second = secondDocument(data))
            reader.error({ second->line + 1, second->column + 1 },
                u"a flow file holds one YAML document, this is a second"_s,
                u"remove the `---` line and what follows, or put it in its own file"_s);
        const SourcePos content = firstContent(text);
        if ((!root.IsDefined() || root.IsNull()) && content.isValid())
            // yaml-cpp reads some malformed text (a stray `,` before the first key) as nothing.
            reader.error(content, u"cannot read this as YAML: a flow file is a map that starts with `flowscope: 1`"_s);
        else
            result.flow = reader.readDocument(root);
    } catch (const YAML::Exception& e) {
        // Syntax errors (ParserException) and anything else yaml-cpp throws; the mark is
        // 0-based, or -1 when yaml-cpp has no position.
        const QString message = QString::fromStdString(e.msg);
        QString hint;
        // yaml-cpp names the tab only sometimes ("illegal map value" for a tab-indented key)
        const QList<QByteArray> lines = text.split('\n');
        auto tabIndented = [&](int line) { // 0-based
            if (line < 0 || line >= lines.size())
                return false;
            const QByteArray& l = lines[line];
            for (const char c : l) {
                if (c == '\t')
                    return true;
                if (c != ' ')
                    return false;
            }
            return false;
        };
        if (message.contains(u"tab"_s) || tabIndented(e.mark.line) || tabIndented(e.mark.line - 1))
            hint = u"indent with spaces: YAML does not allow tabs for indentation"_s;
        const SourcePos pos = e.mark.line >= 0 ? SourcePos { e.mark.line + 1, e.mark.column + 1 } : SourcePos {};
        reader.error(pos, u"invalid YAML: "_s + message, hint);
    } catch (const std::exception& e) {
        reader.error({}, u"cannot read the flow file: "_s + QString::fromLocal8Bit(e.what()));
    }
    result.errors = reader.takeErrors();
    if (!result.errors.isEmpty())
        result.flow.reset();
    else if (result.flow && result.flow->name.isEmpty())
        result.flow->name = QFileInfo(fileName).completeBaseName(); // "shop" for shop.yaml: every title needs one
    return result;
}

namespace FlowParse {

// ---- Helpers ----------------------------------------------------------------------------------

QString quoted(QStringView name) { return u'`' + name.toString() + u'`'; }

QString describe(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Sequence:
        return u"a list"_s;
    case YAML::NodeType::Map:
        return u"a map"_s;
    case YAML::NodeType::Scalar:
        return u'\'' + FlowReader::scalarText(node) + u'\'';
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        break;
    }
    return u"nothing"_s;
}

QString didYouMean(QStringView word, const QStringList& candidates, const QString& fallback)
{
    const QString match = closestMatch(word, candidates);
    return match.isEmpty() ? fallback : u"did you mean %1?"_s.arg(quoted(match));
}

bool isValidName(QStringView name)
{
    if (name.isEmpty())
        return false;
    for (QChar c : name) {
        if (c.isSpace() || QStringView(u",[]{}#&*!|>'\"`").contains(c))
            return false;
    }
    return true;
}

const Entry* Fields::get(QStringView key) const
{
    for (const Entry& e : entries) {
        if (e.name == key)
            return &e;
    }
    return nullptr;
}

FlowReader::FlowReader(QString fileName)
    : m_fileName(std::move(fileName))
{
}

void FlowReader::error(SourcePos pos, QString message, QString hint)
{
    if (m_tooBig)
        return; // what is left unread after the node limit is not wrong, only unread
    // A value read through two aliases is checked twice, and its mistakes are at the anchor:
    // the same message at the same place is said once.
    // yaml-cpp counts columns in bytes; an editor in characters: after a `µs` or a name in
    // another script on the line, a byte column pointed past the mistake.
    if (pos.line >= 1 && pos.line <= m_lines.size() && pos.column > 1) {
        const QByteArray& line = m_lines[pos.line - 1];
        const qsizetype bytes = std::min<qsizetype>(pos.column - 1, line.size());
        pos.column = int(QString::fromUtf8(line.constData(), bytes).size() + (pos.column - 1 - bytes)) + 1;
    }
    const QString key = QString::number(pos.line) + u':' + QString::number(pos.column) + u':' + message;
    if (m_reported.contains(key))
        return;
    m_reported.insert(key);
    m_errors.append({ m_fileName, pos.line, pos.column, std::move(message), std::move(hint) });
}

QList<FlowError> FlowReader::takeErrors()
{
    // Sections are checked in a fixed order, and references after everything; the user reads
    // the file top to bottom, so that is the order they get.
    std::stable_sort(m_errors.begin(), m_errors.end(), [](const FlowError& a, const FlowError& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    return std::exchange(m_errors, {});
}

SourcePos FlowReader::posOf(const YAML::Node& node)
{
    const YAML::Mark mark = node.Mark();
    if (mark.line < 0)
        return {};
    return { mark.line + 1, mark.column + 1 };
}

QString FlowReader::scalarText(const YAML::Node& node)
{
    return node.IsScalar() ? QString::fromStdString(node.Scalar()) : QString();
}

Entry FlowReader::makeEntry(const YAML::Node& key, const YAML::Node& value, SourcePos fallback)
{
    Entry e;
    e.key = key;
    e.value = value;
    e.name = scalarText(key);
    e.keyPos = posOf(key);
    if (!e.keyPos.isValid())
        e.keyPos = fallback;
    // yaml-cpp places an empty value at the next token, often on another line: point at the key.
    e.valuePos = e.isNull() ? e.keyPos : posOf(value);
    if (!e.valuePos.isValid())
        e.valuePos = e.keyPos;
    return e;
}

Entry FlowReader::itemEntry(const YAML::Node& item, SourcePos fallback)
{
    Entry e;
    e.value = item;
    e.keyPos = posOf(item);
    if (!e.keyPos.isValid())
        e.keyPos = fallback;
    e.valuePos = e.keyPos;
    return e;
}

Fields FlowReader::fields(
    const Entry& owner, const QString& what, std::initializer_list<QStringView> allowed, bool nullIsEmpty)
{
    QStringList keys;
    for (QStringView k : allowed)
        keys.append(k.toString());
    return fields(owner, what, keys, nullIsEmpty);
}

Fields FlowReader::fields(const Entry& owner, const QString& what, const QStringList& allowed, bool nullIsEmpty)
{
    Fields f;
    if (owner.isNull() && nullIsEmpty) {
        f.isMap = true;
        return f;
    }
    if (!owner.value.IsMap()) {
        error(owner.valuePos, u"%1 must be a map, got %2"_s.arg(what, describe(owner.value)));
        return f;
    }
    f.isMap = true;
    if (!walk(owner, qsizetype(owner.value.size())))
        return f;
    QList<Entry> raw;
    const bool flowMap = owner.value.Style() == YAML::EmitterStyle::Flow;
    for (auto it = owner.value.begin(); it != owner.value.end(); ++it) {
        raw.append(makeEntry(it->first, it->second, owner.valuePos));
        noteAlias(owner, &raw.last());
        raw.last().inFlowMap = flowMap;
    }
    joinSplitCalls(&raw);
    for (const Entry& e : raw) {
        if (!e.key.IsScalar()) {
            error(e.keyPos, u"a key in %1 must be a name, got %2"_s.arg(what, describe(e.key)));
            continue;
        }
        if (!allowed.isEmpty() && !allowed.contains(e.name)) {
            QString hint;
            if (e.name == u"on" && allowed.contains(u"when"_s))
                hint = u"write `when:` instead: YAML 1.1 tools read `on` as true"_s;
            else
                hint = didYouMean(e.name, allowed, u"expected one of: "_s + allowed.join(u", "_s));
            error(e.keyPos, u"unknown key %1 in %2"_s.arg(quoted(e.name), what), hint);
            continue;
        }
        if (const Entry* first = f.get(e.name)) {
            error(e.keyPos, u"duplicate key %1 in %2"_s.arg(quoted(e.name), what),
                u"the first is on line %1"_s.arg(first->keyPos.line));
            continue;
        }
        f.entries.append(e);
    }
    return f;
}

// In a YAML flow mapping a comma ends a plain scalar, so the agreed spelling
// `{ workers: 2, service_time: lognormal(15ms, 0.4) }` reaches us as `service_time:
// "lognormal(15ms"` followed by a key `0.4)` with no value. Put such calls back together: a
// plain value with an unclosed `(` takes the following value-less plain keys until it closes.
void FlowReader::joinSplitCalls(QList<Entry>* entries)
{
    // Builds a new list rather than removing in place: assigning a YAML::Node writes through to
    // the node it refers to, so shifting entries by assignment would corrupt the document.
    const auto openParens = [](const QString& text) { return text.count(u'(') - text.count(u')'); };
    QList<Entry> out;
    out.reserve(entries->size());
    for (qsizetype i = 0; i < entries->size();) {
        Entry e = entries->at(i);
        qsizetype next = i + 1;
        if (e.value.IsScalar() && e.value.Tag() != "!") {
            QString text = scalarText(e.value);
            qsizetype open = openParens(text);
            while (open > 0 && next < entries->size()) {
                const Entry& piece = entries->at(next);
                if (!piece.isNull() || !piece.key.IsScalar() || piece.key.Tag() == "!")
                    break;
                text += u", "_s + piece.name;
                open = openParens(text);
                ++next;
            }
            if (next > i + 1 && open == 0)
                e.value.reset(YAML::Node(text.toStdString())); // repoint, do not write through
            else
                next = i + 1; // nothing to join, or it does not close: report the text as it is
        }
        out.append(e);
        i = next;
    }
    *entries = std::move(out);
}

QList<Entry> FlowReader::items(const Entry& owner, const QString& what)
{
    QList<Entry> list;
    if (!owner.value.IsSequence()) {
        error(owner.valuePos, u"%1 must be a list, got %2"_s.arg(what, describe(owner.value)));
        return list;
    }
    if (!walk(owner, qsizetype(owner.value.size())))
        return list;
    for (auto it = owner.value.begin(); it != owner.value.end(); ++it) {
        list.append(itemEntry(*it, owner.valuePos));
        list.last().via = owner.via; // an aliased item has no key of its own to point at
    }
    return list;
}

bool FlowReader::walk(const Entry& owner, qsizetype count)
{
    if (m_tooBig)
        return false;
    m_walked += count;
    if (m_walked <= MaxNodes)
        return true;
    error(owner.via.isValid() ? owner.via : owner.valuePos,
        u"the value here takes the flow file past %1 YAML nodes (map entries and list items, counting what "
        u"each alias repeats)"_s.arg(MaxNodes),
        u"an alias (`*name`) repeats all that its anchor holds, so aliases inside anchored values multiply"_s);
    m_tooBig = true;
    return false;
}

void FlowReader::noteAlias(const Entry& owner, Entry* e)
{
    if (owner.via.isValid()) {
        e->via = owner.via; // the outermost alias is the one that tells two uses apart
        return;
    }
    // A value always follows its key in the text, unless it is an alias: yaml-cpp gives that the
    // anchor's position, and an anchor comes before its aliases.
    const SourcePos value = posOf(e->value);
    if (!e->isNull() && value.isValid() && e->keyPos.isValid()
        && std::pair(value.line, value.column) < std::pair(e->keyPos.line, e->keyPos.column))
        e->via = e->keyPos;
}

void FlowReader::missing(SourcePos pos, const QString& what, QStringView key, const QString& hint)
{
    error(pos, u"%1 has no %2"_s.arg(what, quoted(key)), hint);
}

bool FlowReader::expectScalar(const Entry& e, const QString& expected)
{
    if (e.value.IsScalar())
        return true;
    error(e.valuePos, about(e) + u"expected %1, got %2"_s.arg(expected, describe(e.value)));
    return false;
}

QString FlowReader::about(const Entry& e)
{
    QString text = e.name.isEmpty() ? QString() : quoted(e.name);
    if (e.via.isValid())
        text += (text.isEmpty() ? u"("_s : u" ("_s)
            + u"through the alias on line %1, column %2)"_s.arg(e.via.line).arg(e.via.column);
    return text.isEmpty() ? text : text + u": "_s;
}

QString FlowReader::cutShortHint(const Entry& e)
{
    // joinSplitCalls() mends `uniform(1ms, 2ms)` cut at its comma, but not every cut (the rest
    // may be quoted, or have a colon): then the error shows 'uniform(1ms' and this says why.
    const QString text = scalarText(e.value);
    if (!e.inFlowMap || e.value.Tag() == "!" || text.count(u'(') <= text.count(u')'))
        return {};
    return u"a comma inside { } ends the value: quote it, as in \"uniform(1ms, 2ms)\""_s;
}

std::optional<QString> FlowReader::readName(const Entry& e, const QString& what)
{
    if (!expectScalar(e, what))
        return std::nullopt;
    const QString text = scalarText(e.value).trimmed();
    if (!isValidName(text)) {
        error(e.valuePos, about(e) + u"expected %1 (a name without blanks or punctuation), got '%2'"_s.arg(what, text));
        return std::nullopt;
    }
    return text;
}

std::optional<qint64> FlowReader::readInteger(const Entry& e, qint64 min, qint64 max)
{
    // The range names its maximum too: "at least 1" for `workers: 2147483648` said nothing
    // about why a number of at least 1 was refused.
    const QString range = u"a whole number from %1 to %2"_s.arg(min).arg(max);
    if (!expectScalar(e, range))
        return std::nullopt;
    bool ok = false;
    const qint64 v = scalarText(e.value).trimmed().toLongLong(&ok);
    if (!ok || v < min || v > max) {
        error(e.valuePos, about(e) + u"expected %1, got '%2'"_s.arg(range, scalarText(e.value)));
        return std::nullopt;
    }
    return v;
}

std::optional<quint64> FlowReader::readUnsigned(const Entry& e)
{
    const QString range = u"a whole number from 0 to %1"_s.arg(std::numeric_limits<quint64>::max());
    if (!expectScalar(e, range))
        return std::nullopt;
    const QString text = scalarText(e.value).trimmed();
    bool ok = false;
    const quint64 v = text.toULongLong(&ok);
    if (!ok || text.startsWith(u'-')) {
        error(e.valuePos, about(e) + u"expected %1, got '%2'"_s.arg(range, scalarText(e.value)));
        return std::nullopt;
    }
    return v;
}

std::optional<int> FlowReader::readInt(const Entry& e, int min)
{
    const std::optional<qint64> v = readInteger(e, min);
    return v ? std::optional<int>(int(*v)) : std::nullopt;
}

std::optional<double> FlowReader::readNumber(const Entry& e, double min, double max)
{
    const QString range
        = std::isinf(max) ? u"a number of at least %1"_s.arg(min) : u"a number from %1 to %2"_s.arg(min).arg(max);
    if (!expectScalar(e, range))
        return std::nullopt;
    const std::optional<double> v = parseNumber(scalarText(e.value));
    if (!v || *v < min || *v > max) {
        error(e.valuePos, about(e) + u"expected %1, got '%2'"_s.arg(range, scalarText(e.value)));
        return std::nullopt;
    }
    return v;
}

std::optional<FieldPath> FlowReader::readPath(const Entry& e)
{
    std::optional<FieldPath> path = readValue(e, &FieldPath::parse);
    if (path)
        path->pos = e.valuePos;
    return path;
}

std::optional<Duration> FlowReader::readDuration(const Entry& e, bool positive)
{
    const std::optional<Duration> d = readValue(e, &Duration::parse);
    if (d && positive && d->micros <= 0) {
        error(e.valuePos, about(e) + u"expected a duration longer than 0, got '%1'"_s.arg(scalarText(e.value)));
        return std::nullopt;
    }
    return d;
}

std::optional<Distribution> FlowReader::readTimeDistribution(const Entry& e)
{
    return readValue(e, &Distribution::parseTime);
}

// ---- Top level --------------------------------------------------------------------------------

std::optional<Flow> FlowReader::readDocument(const YAML::Node& root)
{
    const SourcePos top { 1, 1 };
    if (!root.IsDefined() || root.IsNull()) {
        error(top, u"the flow file is empty"_s, u"a flow file starts with `flowscope: 1`"_s);
        return std::nullopt;
    }
    const Entry doc = itemEntry(root, top);
    if (!root.IsMap()) {
        error(doc.valuePos, u"a flow file is a map that starts with `flowscope: 1`, got %1"_s.arg(describe(root)));
        return std::nullopt;
    }

    // The version decides how to read everything else, so an unsupported one ends the reading
    // here instead of reporting every newer key as unknown.
    bool hasVersion = false;
    for (auto it = root.begin(); it != root.end(); ++it) {
        const Entry e = makeEntry(it->first, it->second, top);
        if (e.name != u"flowscope" || hasVersion)
            continue;
        hasVersion = true;
        const QString text = scalarText(e.value).trimmed();
        if (text == u"1")
            continue;
        const std::optional<double> number = e.value.IsScalar() ? parseNumber(text) : std::nullopt;
        if (number) {
            error(e.valuePos,
                u"unsupported flow file version %1: this FlowScope reads version %2"_s.arg(text).arg(
                    Flow::SupportedVersion),
                u"was the file written for a newer FlowScope?"_s);
            return std::nullopt;
        }
        error(
            e.valuePos, u"expected the format version %1, got %2"_s.arg(Flow::SupportedVersion).arg(describe(e.value)));
    }
    if (!hasVersion)
        error(top, u"the flow file has no `flowscope` key (the format version)"_s,
            u"start the file with `flowscope: 1`"_s);

    Flow flow;
    flow.fileName = m_fileName;
    const Fields f = fields(doc, u"the flow file"_s,
        { u"flowscope", u"name", u"description", u"correlation", u"channels", u"services", u"sagas", u"views",
            u"simulation" });
    for (const Entry& e : f.entries) {
        if (e.name == u"name" || e.name == u"description") {
            if (expectScalar(e, u"a text"_s))
                (e.name == u"name" ? flow.name : flow.description) = scalarText(e.value);
        } else if (e.name == u"correlation") {
            readCorrelation(e, flow);
        } else if (e.name == u"channels") {
            readChannels(e, flow);
        } else if (e.name == u"services") {
            readServices(e, flow);
        } else if (e.name == u"sagas") {
            readSagas(e, flow);
        } else if (e.name == u"views") {
            readViews(e, flow);
        } else if (e.name == u"simulation") {
            flow.simulation = readSimulation(e);
        }
    }
    checkReferences(flow);
    if (hasErrors())
        return std::nullopt;
    return flow;
}

void FlowReader::readCorrelation(const Entry& e, Flow& flow)
{
    Correlation& c = flow.correlation;
    c.pos = e.valuePos;
    if (e.value.IsScalar()) {
        c.path = readPath(e);
        return;
    }
    if (!e.value.IsMap()) {
        error(e.valuePos,
            u"`correlation` must be a path such as data.orderId, or a map with `default` and `by_type`, got %1"_s.arg(
                describe(e.value)));
        return;
    }
    const Fields f = fields(e, u"`correlation`"_s, { u"default", u"by_type" });
    if (const Entry* d = f.get(u"default"))
        c.path = readPath(*d);
    if (const Entry* byType = f.get(u"by_type")) {
        const Fields overrides = fields(*byType, u"`by_type` of `correlation`"_s, {});
        for (const Entry& o : overrides.entries) {
            if (!isValidName(o.name)) {
                error(o.keyPos, u"expected an event type, got '%1'"_s.arg(o.name));
                continue;
            }
            if (const std::optional<FieldPath> path = readPath(o))
                c.overrides.append({ o.name, *path, o.keyPos });
        }
    }
}

void FlowReader::readChannels(const Entry& e, Flow& flow)
{
    const Fields f = fields(e, u"`channels`"_s, {}, true);
    for (const Entry& c : f.entries) {
        Channel channel { c.name, {}, {}, c.keyPos };
        if (!isValidName(c.name))
            error(c.keyPos, u"expected a channel name (without blanks or punctuation), got '%1'"_s.arg(c.name));
        if (!c.value.IsSequence()) {
            error(c.valuePos,
                u"channel %1 must be a list of event types, such as [OrderCreated, OrderCancelled], got %2"_s.arg(
                    quoted(c.name), describe(c.value)));
            flow.channels.append(channel);
            continue;
        }
        for (const Entry& item : items(c, {})) {
            const std::optional<QString> type = readName(item, u"an event type"_s);
            if (!type)
                continue;
            if (channel.types.contains(*type)) {
                error(
                    item.valuePos, u"event type %1 is listed twice on channel %2"_s.arg(quoted(*type), quoted(c.name)));
                continue;
            }
            // The channel of a type decides where the simulator publishes it and where a live
            // event without a channel is drawn, so it must be unambiguous.
            const QString other = flow.channelOf(*type);
            if (!other.isEmpty()) {
                error(item.valuePos,
                    u"event type %1 is already on channel %2 (line %3)"_s.arg(quoted(*type), quoted(other))
                        .arg(flow.channel(other)->pos.line),
                    u"an event type is published on one channel"_s);
                continue;
            }
            channel.types.append(*type);
            channel.typePositions.append(item.valuePos);
        }
        flow.channels.append(channel);
    }
}

void FlowReader::readServices(const Entry& e, Flow& flow)
{
    const Fields f = fields(e, u"`services`"_s, {}, true);
    for (const Entry& s : f.entries)
        flow.services.append(readService(s));
}

Service FlowReader::readService(const Entry& e)
{
    Service service;
    service.name = e.name;
    service.pos = e.keyPos;
    if (!isValidName(e.name))
        error(e.keyPos, u"expected a service name (without blanks or punctuation), got '%1'"_s.arg(e.name));
    const QString where = u"service "_s + quoted(service.name);
    const Fields f = fields(e, where, { u"when", u"sim", u"group" }, true);
    if (const Entry* group = f.get(u"group"))
        service.group = readName(*group, u"a consumer group id"_s).value_or(QString());
    if (const Entry* when = f.get(u"when")) {
        const QString whenWhere = u"`when` of "_s + where;
        const Fields handlers = fields(*when, whenWhere, {}, true);
        for (const Entry& h : handlers.entries) {
            Handler handler { h.name, {}, h.keyPos };
            if (!isValidName(h.name))
                error(h.keyPos, u"expected an event type in %1, got '%2'"_s.arg(whenWhere, h.name));
            if (h.value.IsScalar()) {
                // The most likely slip: `PaymentFailed: OrderRejected`.
                error(h.valuePos,
                    u"the handler for %1 in %2 must be a map, got %3"_s.arg(quoted(h.name), where, describe(h.value)),
                    u"write `%1: { emit: %2 }`"_s.arg(h.name, scalarText(h.value)));
                continue;
            }
            const Fields hf = fields(h, u"the handler for %1 in %2"_s.arg(quoted(h.name), where), { u"emit" }, true);
            if (const Entry* emitEntry = hf.get(u"emit"))
                handler.emits = readEmit(*emitEntry, where);
            service.handlers.append(handler);
        }
    }
    if (const Entry* sim = f.get(u"sim"))
        service.sim = readServiceSim(*sim, service.name);
    return service;
}

Emit FlowReader::readEmit(const Entry& e, const QString& where)
{
    Emit result;
    result.pos = e.valuePos;
    if (e.isNull())
        return result; // `emit: ~` consumes without emitting
    if (e.value.IsScalar()) {
        if (const std::optional<QString> type = readName(e, u"an event type"_s))
            result.choices.append({ *type, 1.0, e.valuePos });
        return result;
    }
    if (!e.value.IsMap()) {
        error(e.valuePos,
            u"`emit` takes one event type or a map of event type to probability, got %1"_s.arg(describe(e.value)));
        return result;
    }
    result.weighted = true;
    double sum = 0;
    const Fields f = fields(e, u"`emit` of "_s + where, {});
    for (const Entry& c : f.entries) {
        if (!isValidName(c.name)) {
            error(c.keyPos, u"expected an event type, got '%1'"_s.arg(c.name));
            continue;
        }
        if (const std::optional<double> p = readValue(c, &parseProbability)) {
            result.choices.append({ c.name, *p, c.keyPos });
            sum += *p;
        }
    }
    if (sum > 1.0 + 1e-9)
        error(e.valuePos, u"the probabilities in `emit` add up to %1, more than 1"_s.arg(sum),
            u"the remainder up to 1 is the chance of emitting nothing"_s);
    return result;
}

ServiceSim FlowReader::readServiceSim(const Entry& e, const QString& service)
{
    ServiceSim sim;
    sim.pos = e.valuePos;
    const QString where = u"`sim` of service "_s + quoted(service);
    const Fields f = fields(e, where,
        { u"workers", u"queue", u"service_time", u"failure", u"retry", u"timeout", u"dead_letter", u"serverless" });
    for (const Entry& x : f.entries) {
        if (x.name == u"workers") {
            sim.workers = readInt(x, 1).value_or(sim.workers);
        } else if (x.name == u"queue") {
            if (scalarText(x.value) != u"unbounded")
                sim.queue = readInt(x, 0);
        } else if (x.name == u"service_time") {
            sim.serviceTime = readTimeDistribution(x).value_or(sim.serviceTime);
        } else if (x.name == u"failure") {
            sim.failure = readValue(x, &parseProbability).value_or(0.0);
        } else if (x.name == u"retry") {
            sim.retry = readRetry(x, where);
        } else if (x.name == u"timeout") {
            sim.timeout = readDuration(x, true);
        } else if (x.name == u"dead_letter") {
            sim.deadLetter = readName(x, u"a channel name"_s).value_or(QString());
        } else if (x.name == u"serverless") {
            sim.serverless = readServerless(x, where);
        }
    }
    if (const Entry* workers = f.get(u"workers"); workers && f.get(u"serverless"))
        error(workers->keyPos, u"`workers` does not apply to a serverless service"_s,
            u"a serverless service runs up to `concurrency` instances: set it in `serverless:`"_s);
    return sim;
}

RetryPolicy FlowReader::readRetry(const Entry& e, const QString& where)
{
    RetryPolicy retry;
    retry.pos = e.valuePos;
    retry.max = 3; // a `retry:` block without `max` still means "retry"
    const Fields f = fields(e, u"`retry` of "_s + where, { u"max", u"backoff", u"multiplier", u"cap", u"jitter" });
    for (const Entry& x : f.entries) {
        if (x.name == u"max")
            retry.max = readInt(x, 0).value_or(retry.max);
        else if (x.name == u"backoff")
            retry.backoff = readDuration(x).value_or(retry.backoff);
        else if (x.name == u"multiplier")
            retry.multiplier = readNumber(x, 1, qInf()).value_or(retry.multiplier);
        else if (x.name == u"cap")
            retry.cap = readDuration(x);
        else if (x.name == u"jitter")
            retry.jitter = readNumber(x, 0, 1).value_or(retry.jitter);
    }
    if (const Entry* cap = f.get(u"cap"); cap && retry.cap && *retry.cap < retry.backoff)
        error(cap->valuePos,
            u"`cap` (%1) is shorter than `backoff` (%2)"_s.arg(retry.cap->toString(), retry.backoff.toString()));
    return retry;
}

Serverless FlowReader::readServerless(const Entry& e, const QString& where)
{
    Serverless s;
    s.pos = e.valuePos;
    const Fields f = fields(
        e, u"`serverless` of "_s + where, { u"concurrency", u"cold_start", u"idle_timeout", u"min_instances" }, true);
    for (const Entry& x : f.entries) {
        if (x.name == u"concurrency")
            s.concurrency = readInt(x, 1).value_or(s.concurrency);
        else if (x.name == u"cold_start")
            s.coldStart = readTimeDistribution(x).value_or(s.coldStart);
        else if (x.name == u"idle_timeout")
            s.idleTimeout = readDuration(x, true).value_or(s.idleTimeout);
        else if (x.name == u"min_instances")
            s.minInstances = readInt(x, 0).value_or(s.minInstances);
    }
    if (const Entry* min = f.get(u"min_instances"); min && s.minInstances > s.concurrency)
        error(min->valuePos,
            u"`min_instances` (%1) is more than `concurrency` (%2)"_s.arg(s.minInstances).arg(s.concurrency));
    return s;
}

// ---- References -------------------------------------------------------------------------------

void FlowReader::checkType(const QString& type, SourcePos pos, const QString& what, const QStringList& known)
{
    if (type.isEmpty() || known.contains(type))
        return;
    error(pos, u"%1 %2, an event type that no channel, service or load generator declares"_s.arg(what, quoted(type)),
        didYouMean(
            type, known, u"list it on a channel in `channels:` if it comes from outside the declared services"_s));
}

namespace {

// Channels a fault or a broker override may name: the declared ones, and the default channel
// of every emitter (named after it), and dead-letter channels.
QStringList knownChannels(const Flow& flow)
{
    QStringList names;
    for (const Channel& c : flow.channels)
        names.append(c.name);
    for (const Service& s : flow.services) {
        names.append(s.name);
        if (s.sim && !s.sim->deadLetter.isEmpty())
            names.append(s.sim->deadLetter);
    }
    if (flow.simulation) {
        for (const LoadGenerator& g : flow.simulation->load)
            names.append(g.from);
    }
    return names;
}

QStringList serviceNames(const Flow& flow)
{
    QStringList names;
    for (const Service& s : flow.services)
        names.append(s.name);
    return names;
}

} // namespace

void FlowReader::checkReferences(const Flow& flow)
{
    const QStringList services = serviceNames(flow);
    // Event types are only checked when the file declares where events come from; a file
    // that only describes sagas and views of a live system has nothing to check against.
    const bool declared = !flow.channels.isEmpty() || !flow.services.isEmpty();
    QStringList known = flow.producedTypes();
    for (const Service& s : flow.services) {
        for (const Handler& h : s.handlers) {
            if (!known.contains(h.type))
                known.append(h.type);
        }
    }
    for (const Saga& saga : flow.sagas) {
        const QString where = u"saga "_s + quoted(saga.name);
        if (declared)
            checkType(saga.start, saga.startPos, where + u" starts on"_s, known);
        if (saga.isOrchestrated() && !flow.service(saga.orchestrator))
            error(saga.orchestratorPos,
                u"the orchestrator of %1, %2, is not a service in `services`"_s.arg(where, quoted(saga.orchestrator)),
                didYouMean(saga.orchestrator, services, u"declare it under `services:`"_s));
        if (!declared)
            continue;
        for (const SagaState& state : saga.states) {
            for (const SagaTransition& t : state.transitions)
                checkType(t.type, t.pos, u"state %1 of %2 moves on"_s.arg(quoted(state.name), where), known);
        }
    }
    if (declared) {
        for (const View& view : flow.views) {
            for (const ViewColumn& column : view.columns) {
                for (qsizetype i = 0; i < column.from.size(); ++i)
                    checkType(column.from[i], column.fromPositions.value(i, column.pos),
                        u"column %1 of view %2 reads from"_s.arg(quoted(column.name), quoted(view.name)), known);
            }
        }
    }
    if (!flow.simulation)
        return;
    const Simulation& sim = *flow.simulation;
    const QStringList channels = knownChannels(flow);
    for (const LoadGenerator& g : sim.load) {
        if (!flow.services.isEmpty() && g.fromPos.isValid() && !flow.service(g.from))
            error(g.fromPos,
                u"the load generator comes from %1, which is not a service in `services`"_s.arg(quoted(g.from)),
                didYouMean(g.from, services, u"name a declared service, or leave out `from`"_s));
    }
    for (const BrokerChannel& c : sim.broker.channels) {
        if (!channels.contains(c.name))
            error(c.pos, u"the broker names channel %1, which is not a channel of this flow"_s.arg(quoted(c.name)),
                didYouMean(c.name, channels, u"declare it under `channels:`"_s));
    }
    for (const Fault& fault : sim.faults) {
        if (fault.target == FaultTarget::Service && !flow.service(fault.name))
            error(fault.namePos,
                u"the fault names service %1, which is not declared in `services`"_s.arg(quoted(fault.name)),
                didYouMean(fault.name, services, u"faults apply to the declared services"_s));
        else if (fault.target == FaultTarget::Channel && !channels.contains(fault.name))
            error(fault.namePos,
                u"the fault names channel %1, which is not a channel of this flow"_s.arg(quoted(fault.name)),
                didYouMean(fault.name, channels, u"declare it under `channels:`"_s));
    }
}

std::optional<Fault> FlowReader::readFaultSpec(const YAML::Node& node, const Flow& flow, std::optional<Duration> defaultAt)
{
    std::optional<Fault> fault = readFault(itemEntry(node, { 1, 1 }), defaultAt);
    if (!fault)
        return fault;
    // Check the one fault against the flow as if it were in the file.
    Flow probe;
    probe.channels = flow.channels;
    probe.services = flow.services;
    probe.simulation = Simulation {};
    if (flow.simulation)
        probe.simulation->load = flow.simulation->load;
    probe.simulation->faults.append(*fault);
    checkReferences(probe);
    return hasErrors() ? std::nullopt : fault;
}

} // namespace FlowParse
} // namespace FlowScope
