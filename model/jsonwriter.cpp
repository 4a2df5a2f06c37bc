// SPDX-License-Identifier: MIT
#include "jsonwriter.h"

#include <simdjson.h>

namespace FlowScope::Json {
namespace {

// Length of the valid UTF-8 sequence starting at p (1..4), or 0 when it is not valid.
int utf8Length(const unsigned char* p, const unsigned char* end)
{
    const unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    int n;
    unsigned int cp;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (end - p < n)
        return 0;
    for (int i = 1; i < n; ++i) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    // reject overlong forms, surrogates and values past U+10FFFF
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF
        || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

} // namespace

void appendString(QByteArray& out, std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    out.reserve(out.size() + static_cast<qsizetype>(text.size()) + 2);
    out.append('"');
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    const auto* run = p; // start of bytes that need no escaping
    auto flush = [&](const unsigned char* upto) {
        if (upto > run)
            out.append(reinterpret_cast<const char*>(run), upto - run);
    };
    while (p < end) {
        const unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++p;
            continue;
        }
        if (c >= 0x80) {
            const int n = utf8Length(p, end);
            if (n > 0) {
                p += n;
                continue;
            }
            flush(p);
            out.append("\xEF\xBF\xBD"); // U+FFFD
            run = ++p;
            continue;
        }
        flush(p);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
            out.append("\\u00");
            out.append(hex[c >> 4]);
            out.append(hex[c & 0xF]);
        }
        run = ++p;
    }
    flush(p);
    out.append('"');
}

bool isValidJson(std::string_view text)
{
    // The DOM parser validates the whole document, including what follows the first value.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element element;
    return parser.parse(text.data(), text.size(), true).get(element) == simdjson::SUCCESS;
}

} // namespace FlowScope::Json
