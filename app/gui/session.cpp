// SPDX-License-Identifier: MIT
#include "session.h"

#include <recording.h>

#include <QTemporaryDir>

namespace FlowScope::Gui {

Engine::Options sessionEngineOptions(int queueBatches)
{
    Engine::Options options;
    options.viewSample = 500;
    options.queueBatches = queueBatches;
    options.instancesIntervalMs = 250; // the saga instance table
    options.threadNice = WorkerNice;
    // No checkpoints: a session's recording keeps only its newest events, and a checkpoint holds
    // the state of all before it, so a seek in a saved copy would jump between states with and
    // without the dropped history. A saved copy folds from its first kept event instead.
    options.checkpointEvery = 0;
    return options;
}

std::unique_ptr<RecordingWriter> createSessionRecording(const QTemporaryDir& dir, const QString& name, QString* error)
{
    if (!dir.isValid()) {
        *error = QStringLiteral("cannot create a temporary directory for the recording: %1").arg(dir.errorString());
        return nullptr;
    }
    auto writer = RecordingWriter::create(dir.filePath(name), error, WriteMode::Live);
    if (!writer || !writer->setRetention(SessionRetention, error))
        return nullptr;
    writer->setCheckpointerNice(WorkerNice);
    return writer;
}

} // namespace FlowScope::Gui
