// SPDX-License-Identifier: MIT
// KafkaSource's client properties files (--config), read as java.util.Properties reads them,
// and which of their keys are secrets. Apart from the source itself: nothing here talks to Kafka.
#include "kafkasource.h"

#include <QFile>
#include <QRegularExpression>

namespace FlowScope::Connectors {

bool KafkaSource::isSecret(const QByteArray& key)
{
    const QByteArray k = key.toLower();
    return k.contains("password") || k.contains("secret") || k.contains("jaas") || k == "ssl.key.pem"
        || k == "ssl_key" || k.contains("oauthbearer.config") || k.contains("token");
}

namespace {

bool isPropertySpace(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// A natural line ending in an odd number of backslashes continues on the next one.
bool continues(QByteArrayView line)
{
    qsizetype n = 0;
    while (n < line.size() && line.at(line.size() - 1 - n) == '\\')
        ++n;
    return n % 2 == 1;
}

QByteArrayView withoutLeadingSpace(QByteArrayView line)
{
    qsizetype i = 0;
    while (i < line.size() && isPropertySpace(line.at(i)))
        ++i;
    return line.sliced(i);
}

// java.util.Properties' escapes: \t \n \r \f, \uXXXX, and a backslash before any other character
// stands for that character (\: \= \# \\ and "\ "). False on a malformed \uXXXX.
bool unescapeProperty(QByteArrayView text, QByteArray* out)
{
    QString result; // \u escapes are UTF-16: a surrogate pair is two of them
    const QString in = QString::fromUtf8(text);
    for (qsizetype i = 0; i < in.size(); ++i) {
        const QChar c = in.at(i);
        if (c != u'\\') {
            result.append(c);
            continue;
        }
        if (++i == in.size())
            break; // a backslash at the very end stands for nothing
        switch (in.at(i).unicode()) {
        case u't':
            result.append(u'\t');
            break;
        case u'n':
            result.append(u'\n');
            break;
        case u'r':
            result.append(u'\r');
            break;
        case u'f':
            result.append(u'\f');
            break;
        case u'u': {
            bool ok = i + 4 < in.size();
            const ushort code = ok ? in.mid(i + 1, 4).toUShort(&ok, 16) : 0;
            if (!ok)
                return false;
            result.append(QChar(code));
            i += 4;
            break;
        }
        default:
            result.append(in.at(i));
        }
    }
    *out = result.toUtf8();
    return true;
}

} // namespace

// As java.util.Properties.load reads it: a logical line goes on over natural lines that end in
// an odd number of backslashes (the next line's leading space dropped); the key ends at the
// first unescaped '=', ':' or space, and the separator may have space around it; escapes are
// undone in keys and values. Stricter than Java in one way: a line without '=' or ':' (Java
// takes "key value" and a lone "key") is refused, since here it is far more often a mistake.
bool KafkaSource::readProperties(const QString& path, QList<QPair<QByteArray, QByteArray>>* properties,
                                 QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    auto naturalLine = [&file] {
        QByteArray line = file.readLine();
        while (line.endsWith('\n') || line.endsWith('\r'))
            line.chop(1);
        return line;
    };
    int lineNo = 0;
    QByteArray mechanism;
    QByteArray jaas;
    while (!file.atEnd()) {
        ++lineNo;
        const int firstLine = lineNo; // errors name the line the property starts on
        QByteArray line = withoutLeadingSpace(naturalLine()).toByteArray();
        if (line.isEmpty() || line.startsWith('#') || line.startsWith('!'))
            continue;
        while (continues(line)) {
            line.chop(1);
            if (file.atEnd())
                break;
            ++lineNo;
            line += withoutLeadingSpace(naturalLine()); // a blank one ends the property
        }
        // Trailing space is dropped (Kafka's clients trim values too), unless escaped.
        while (!line.isEmpty() && isPropertySpace(line.back()) && !continues(line.left(line.size() - 1)))
            line.chop(1);
        qsizetype keyEnd = 0, valueStart = line.size();
        bool escaped = false, separator = false;
        for (; keyEnd < line.size(); ++keyEnd) {
            const char c = line.at(keyEnd);
            if (!escaped && (c == '=' || c == ':' || isPropertySpace(c))) {
                separator = c != ' ' && c != '\t' && c != '\f';
                valueStart = keyEnd + 1;
                break;
            }
            escaped = c == '\\' && !escaped;
        }
        for (; valueStart < line.size(); ++valueStart) {
            const char c = line.at(valueStart);
            if (!isPropertySpace(c)) {
                if (separator || (c != '=' && c != ':'))
                    break;
                separator = true;
            }
        }
        if (!separator || keyEnd == 0) {
            *error = QStringLiteral("%1:%2: expected key=value").arg(path).arg(firstLine);
            return false;
        }
        QByteArray key, value;
        if (!unescapeProperty(QByteArrayView(line).first(keyEnd), &key)
            || !unescapeProperty(QByteArrayView(line).sliced(valueStart), &value)) {
            *error = QStringLiteral("%1:%2: malformed \\uXXXX escape").arg(path).arg(firstLine);
            return false;
        }
        if (key == "sasl.jaas.config") {
            jaas = value; // Java only: turned into sasl.username / sasl.password below
            continue;
        }
        if (key == "sasl.mechanism")
            mechanism = value;
        properties->append({ key, value });
    }
    if (!jaas.isEmpty()) {
        const QString text = QString::fromUtf8(jaas);
        static const QRegularExpression user(QStringLiteral("username\\s*=\\s*\"([^\"]*)\""));
        static const QRegularExpression pass(QStringLiteral("password\\s*=\\s*\"([^\"]*)\""));
        const auto u = user.match(text);
        const auto p = pass.match(text);
        if (u.hasMatch())
            properties->append({ "sasl.username", u.captured(1).toUtf8() });
        if (p.hasMatch())
            properties->append({ "sasl.password", p.captured(1).toUtf8() });
        if (!u.hasMatch() && !p.hasMatch()) {
            *error = QStringLiteral("%1: sasl.jaas.config: only PlainLoginModule/ScramLoginModule with username and "
                                    "password can be translated; set sasl.username and sasl.password instead")
                         .arg(path);
            return false;
        }
    }
    Q_UNUSED(mechanism)
    return true;
}

} // namespace FlowScope::Connectors
