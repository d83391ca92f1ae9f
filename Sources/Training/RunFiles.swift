import Foundation
import Images
import Torch

/// The files rank 0 writes as the run goes: `log.jsonl`, a new TensorBoard event file per session, sample grids.
struct RunFiles {
    let run: RunDirectory
    private let log: TrainingLog
    private let events: EventFileWriter

    /// Opens the log and a new event file for a session starting after `start` iterations; a resumed session
    /// marks its start in the events so TensorBoard drops what the previous session logged after its checkpoint.
    init(run: RunDirectory, start: Int, wallTime: Double) throws {
        self.run = run
        log = try TrainingLog(path: run.logFile, resumingAt: start)
        events = try EventFileWriter(folder: run.path, wallTime: wallTime)
        if start > 0 { try events.addSessionStart(step: start + 1, wallTime: wallTime) }
    }

    func log(_ losses: [Scalar], metrics: [Scalar], iteration: Int, kimg: Double, wallTime: Double) throws {
        try log.append(iteration: iteration, kimg: kimg, wallTime: wallTime, losses: losses, metrics: metrics)
        try events.addScalars(losses + metrics, step: iteration, wallTime: wallTime)
    }

    /// Images a step reported, each tag's batch as one grid.
    func images(_ images: [(tag: String, images: Tensor)], iteration: Int, wallTime: Double) throws {
        for (tag, batch) in images {
            try events.addImage(tag, grid(batch), step: iteration, wallTime: wallTime)
        }
    }

    /// The trainer's samples as `samples/NNNNNN.png` and as the "samples" image in TensorBoard.
    func sample(_ trainer: some Trainer, at iteration: Int, wallTime: Double) throws {
        guard let batch = try trainer.samples(at: iteration) else { return }
        let image = try grid(batch)
        let path = run.sampleFile(for: iteration)
        do {
            try image.write(to: path)
        } catch {
            throw TrainingError(path: path, "cannot write the sample grid: \(error)")
        }
        guard let png = FileManager.default.contents(atPath: path) else {
            throw TrainingError(path: path, "cannot read back the sample grid")
        }
        try events.addImage("samples", encoded: Array(png), height: image.height, width: image.width,
                            channels: image.channels, step: iteration, wallTime: wallTime)
    }

    /// A grid with int(sqrt(N)) images per row, as rosinality's `save_image(nrow=int(n_sample ** 0.5))`.
    private func grid(_ batch: Tensor) throws -> Image {
        let count = batch.rank == 4 ? batch.shape[0] : 1
        let columns = max(1, Int(Double(count).squareRoot()))
        return try Image(tensor: imageGrid([batch.detach()], columns: columns))
    }
}
