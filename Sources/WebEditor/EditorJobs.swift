import Foundation
import Images
import Inversion
import Torch

/// One optimisation inversion run in the background. Its state is read by the HTTP handlers while the job's thread
/// writes it, hence the lock; the id is also the id of the inversion it makes.
final class EditorJob: @unchecked Sendable {
    enum State: String, Codable { case queued, running, done, failed, cancelled }

    /// What a client sees of a job (`GET /api/jobs/{id}` and each server-sent event).
    struct Snapshot: Codable, Equatable {
        var job: String
        var method: String
        var state: State
        var stage: String?
        var step = 0
        var total = 0
        var loss: Double?
        /// Counts preview images; a client fetches `preview.png` when it changes.
        var preview = 0
        var error: String?
        var summary: EditorEngine.InversionSummary?

        var isFinished: Bool { [.done, .failed, .cancelled].contains(state) }
    }

    let id: String
    private let lock = NSLock()
    private var current: Snapshot
    private var previewBytes: [UInt8]?
    private var cancelRequested = false

    init(id: String, method: InversionMethod) {
        self.id = id
        current = Snapshot(job: id, method: method.rawValue, state: .queued)
    }

    var snapshot: Snapshot { lock.withLock { current } }
    var preview: [UInt8]? { lock.withLock { previewBytes } }
    var isCancelled: Bool { lock.withLock { cancelRequested } }

    /// Asks the job to stop: a queued job never starts, a running one stops after its current step.
    func cancel() {
        lock.withLock {
            cancelRequested = true
            if current.state == .queued { current.state = .cancelled }
        }
    }

    func update(_ change: (inout Snapshot) -> Void) { lock.withLock { change(&current) } }

    func setPreview(_ bytes: [UInt8]) {
        lock.withLock {
            previewBytes = bytes
            current.preview += 1
        }
    }
}

/// The job queue: at most `limits.maxQueuedJobs` waiting, one running at a time on a thread of its own (never the
/// server's threads, so pages, renders and encoder inversions stay responsive while a PTI job runs).
actor EditorJobs {
    let engine: EditorEngine
    let limits: EditorLimits
    private var jobs: [String: EditorJob] = [:]
    private var queue: [(job: EditorJob, face: Image, steps: Int?, pivotSteps: Int?)] = []
    private var running = false
    private let thread = DispatchQueue(label: "stylegan.editor.jobs", qos: .userInitiated)

    init(engine: EditorEngine, limits: EditorLimits) {
        self.engine = engine
        self.limits = limits
    }

    /// Queues an inversion of `face` by `method` under `id` (also its inversion's id); `sessionJobs` are the ids of
    /// the session's jobs, to hold it to its share.
    func submit(id: String, face: Image, method: InversionMethod, steps: Int?, pivotSteps: Int?, sessionJobs: [String])
        throws -> EditorJob
    {
        for (name, value) in [("steps", steps), ("pivot_steps", pivotSteps)] {
            if let value, !(1...limits.maxJobSteps).contains(value) {
                throw EditorError(.badRequest, "\(name) must be in 1...\(limits.maxJobSteps)")
            }
        }
        let active = sessionJobs.compactMap { jobs[$0] }.filter { !$0.snapshot.isFinished }
        guard active.count < limits.maxJobsPerSession else {
            throw EditorError(.tooManyRequests, "this session already has \(active.count) jobs queued or running; "
                + "wait for one or cancel it")
        }
        guard queue.count < limits.maxQueuedJobs else {
            throw EditorError(.tooManyRequests, "\(queue.count) jobs are waiting already; try again later")
        }
        let job = EditorJob(id: id, method: method)
        jobs[id] = job
        queue.append((job, face, steps, pivotSteps))
        startNext()
        return job
    }

    func job(_ id: String) -> EditorJob? { jobs[id] }

    /// Cancels and drops the jobs of expired or evicted items.
    func forget(_ ids: [String]) {
        for id in ids {
            jobs[id]?.cancel()
            jobs[id] = nil
        }
        queue.removeAll { $0.job.isCancelled }
    }

    var count: Int { jobs.count }

    private func startNext() {
        guard !running else { return }
        queue.removeAll { $0.job.isCancelled }
        guard !queue.isEmpty else { return }
        running = true
        let next = queue.removeFirst()
        Task { await self.run(next.job, face: next.face, steps: next.steps, pivotSteps: next.pivotSteps) }
    }

    private func run(_ job: EditorJob, face: Image, steps: Int?, pivotSteps: Int?) async {
        defer {
            running = false
            startNext()
        }
        job.update { $0.state = .running }
        do {
            let work = try await engine.jobWork(face, method: InversionMethod(rawValue: job.snapshot.method)!, steps: steps,
                                                pivotSteps: pivotSteps)
            let finished = try await onJobThread { try work.run(Self.control(for: job, interval: self.limits.previewInterval)) }
            let summary = try await engine.finish(work, finished, id: job.id)
            // Cancelled after its last step: nothing is kept.
            let cancelled = job.isCancelled
            if cancelled { await engine.forget([job.id]) }
            job.update {
                $0.state = cancelled ? .cancelled : .done
                $0.summary = cancelled ? nil : summary
            }
        } catch InversionError.cancelled {
            job.update { $0.state = .cancelled }
        } catch let error as EditorError {
            job.update { ($0.state, $0.error) = (.failed, error.message) }
        } catch {
            job.update { ($0.state, $0.error) = (.failed, "\(error)") }
        }
    }

    /// Runs `work` on the jobs' thread and hands back its result.
    private func onJobThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            thread.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Progress into the job's snapshot, a preview at most every `interval`, and the job's cancel flag.
    nonisolated static func control(for job: EditorJob, interval: TimeInterval) -> InversionControl {
        var lastPreview = Date.distantPast
        return InversionControl(progress: { report in
            job.update {
                $0.stage = report.stage.rawValue
                ($0.step, $0.total, $0.loss) = (report.step, report.total, report.loss)
            }
            if let image = report.image, Date().timeIntervalSince(lastPreview) >= interval || report.step == report.total {
                lastPreview = Date()
                if let bytes = try? EditorEngine.png(image.narrow(0, start: 0, length: 1)) { job.setPreview(bytes) }
            }
        }, isCancelled: { job.isCancelled })
    }
}
