import ArgumentParser
import Foundation
import Images
import Perception

/// `stylegan align IMAGE... --outdir D`: FFHQ-style face crops for inversion, with where each face was.
struct Align: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect a face in each photo (MTCNN) and crop it FFHQ-style for inversion.",
        discussion: """
            For each IMAGE writes OUTDIR/NAME.png, the aligned face, and OUTDIR/NAME.json: the face's box, score \
            and five landmarks (eyes, nose, mouth corners) in the photo's pixels, and the crop quad. With several \
            faces the largest is cropped; --face N takes the N-th by box size instead (0 is the largest). A photo \
            that cannot be read or has no such face is reported by name and nothing is written for it; the others \
            are still done, and the exit status is non-zero.
            """
    )

    @Argument(help: "Photos (PNG or JPEG).")
    var images: [String]

    @Option(help: "Output folder.")
    var outdir: String

    @Option(help: "Side of the aligned square in pixels (256 for pSp/e4e encoders, 1024 for FFHQ generators).")
    var size: Int = 256

    @Option(help: "Which face, by box size from 0 (the largest).")
    var face: Int = 0

    @Option(help: "cpu, cuda or cuda:N.")
    var device: DeviceChoice = DeviceChoice(.cpu)

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard size >= 1 else { throw ValidationError("--size must be at least 1, got \(size)") }
        guard face >= 0 else { throw ValidationError("--face must be 0 or more, got \(face)") }
        var seen: [String: String] = [:]
        for image in images {
            if let other = seen.updateValue(image, forKey: baseName(image)) {
                throw ValidationError("\(other) and \(image) would both write \(baseName(image)).png")
            }
        }
    }

    func run() throws {
        try runtime.start()
        let aligner = FaceAligner(detector: try MTCNN(device: device.value))
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        let progress = Progress(label: "align")
        var failed = 0
        for (done, path) in images.enumerated() {
            do {
                try alignOne(path, aligner)
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("error: \(describe(error, path))\n".utf8))
            }
            progress.update(done + 1, images.count)
        }
        print("aligned \(images.count - failed) of \(images.count) images into \(outdir)")
        if failed > 0 { throw ExitCode.failure }
    }

    /// Writes NAME.png then NAME.json; if the JSON cannot be written the PNG is removed, so a photo leaves both
    /// files or neither.
    private func alignOne(_ path: String, _ aligner: FaceAligner) throws {
        let photo = try Image.read(path: path)
        let result = try aligner.align(photo, name: path, outputSize: size, faceIndex: face)
        let record = AlignmentRecord(source: path, sourceWidth: photo.width, sourceHeight: photo.height,
                                     result: result)
        let png = "\(outdir)/\(baseName(path)).png"
        try result.image.write(to: png)
        do {
            try record.write(to: "\(outdir)/\(baseName(path)).json")
        } catch {
            try? FileManager.default.removeItem(atPath: png)
            throw error
        }
    }

    /// The file name without folder and extension.
    private func baseName(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    /// The message for a failed photo, starting with its name (image and alignment errors already do).
    private func describe(_ error: Error, _ path: String) -> String {
        switch error {
        case let error as ImageError where error.path != nil: error.description
        case let error as FaceAlignmentError: error.description
        case let error as FaceAlignmentRecordError: error.description
        default: "\(path): \(error)"
        }
    }
}
