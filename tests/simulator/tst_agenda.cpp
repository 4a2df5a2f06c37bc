// SPDX-License-Identifier: MIT
// Sim::Agenda, the simulator's future events: it pops in key order, whatever the pushes and pops.
#include <agenda.h>
#include <random.h>

#include <QTest>

#include <vector>

using namespace Qt::StringLiterals;
using namespace FlowScope;

class TestAgenda : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void popsInKeyOrder();
};

// The agenda pops in key order, whatever the pushes and pops interleaved (the simulator's
// determinism rests on it): many equal times, keys made distinct by a counter, as the simulator's.
void TestAgenda::popsInKeyOrder()
{
    struct Item {
        qint64 time;
        quint64 order;
        bool operator<(const Item& o) const { return time != o.time ? time < o.time : order < o.order; }
    };
    Sim::Agenda<Item> agenda;
    std::vector<Item> popped, pushed;
    Rng rng(7);
    quint64 order = 0;
    qint64 now = 0;
    for (int round = 0; round < 20000; ++round) {
        const int pushes = int(rng.integer(0, 3));
        for (int k = 0; k < pushes; ++k) {
            const Item item { now + rng.integer(0, 20), order++ };
            agenda.push(item);
            pushed.push_back(item);
        }
        if (!agenda.empty() && rng.chance(0.6)) {
            const Item top = agenda.top();
            QVERIFY(top.time >= now); // nothing in the past: an agenda never goes back
            now = top.time;
            popped.push_back(top);
            agenda.pop();
        }
    }
    while (!agenda.empty()) {
        popped.push_back(agenda.top());
        agenda.pop();
    }
    QCOMPARE(popped.size(), pushed.size());
    // every push is at or after the last pop's time and later in order: the pops are sorted
    for (size_t i = 1; i < popped.size(); ++i)
        QVERIFY2(popped[i - 1] < popped[i], qPrintable(u"pop %1 out of order"_s.arg(i)));
}

QTEST_GUILESS_MAIN(TestAgenda)

#include "tst_agenda.moc"
