// SPDX-License-Identifier: MIT
#pragma once

#include "flowvalues.h"

#include <cmath>
#include <cstdint>

namespace FlowScope {

// xoshiro256** seeded through splitmix64, and samplers written out here rather than taken from
// <random>: the standard distributions may differ between library versions, and a simulation or
// a chaos replay must do the same for the same seed everywhere. Shared by simulator/ and connectors/.
class Rng final {
public:
    explicit Rng(std::uint64_t seed)
    {
        for (auto& s : m_s) {
            seed += 0x9E3779B97F4A7C15ull;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            s = z ^ (z >> 31);
        }
    }

    std::uint64_t next()
    {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    // [0, 1)
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    // (0, 1]: safe under log()
    double open() { return 1.0 - uniform(); }
    double exponential(double mean) { return -mean * std::log(open()); }
    double normal(double mean, double sd)
    {
        // Box-Muller; the second value is dropped to keep the stream simple to reason about
        const double r = std::sqrt(-2.0 * std::log(open()));
        return mean + sd * r * std::cos(6.283185307179586 * uniform());
    }
    qint64 integer(qint64 lo, qint64 hi) // inclusive
    {
        if (hi <= lo)
            return lo;
        return lo + qint64(next() % std::uint64_t(hi - lo + 1));
    }
    bool chance(double p) { return p > 0 && uniform() < p; }

    // A sample of `d` (µs for time distributions); never negative for time.
    double sample(const Distribution& d)
    {
        double v = 0;
        switch (d.kind) {
        case Distribution::Kind::Constant: v = d.a; break;
        case Distribution::Kind::Exponential: v = exponential(d.a); break;
        case Distribution::Kind::Uniform: v = d.a + (d.b - d.a) * uniform(); break;
        case Distribution::Kind::Normal: v = normal(d.a, d.b); break;
        case Distribution::Kind::LogNormal: v = d.a * std::exp(d.b * normal(0, 1)); break;
        }
        return d.unit == Distribution::Unit::Time ? std::max(0.0, v) : v;
    }
    qint64 sampleMicros(const Distribution& d) { return roundHalfAway(sample(d)); }

    // std::llround without the library call (it ran once per sample): the same results, since
    // v - trunc(v) is exact below 2^52; larger values and NaN go to llround.
    static qint64 roundHalfAway(double v)
    {
        if (!(std::fabs(v) < 0x1p52))
            return qint64(std::llround(v));
        const qint64 i = qint64(v);
        const double fraction = v - double(i);
        return fraction >= 0.5 ? i + 1 : fraction <= -0.5 ? i - 1 : i;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t m_s[4];
};

} // namespace FlowScope
