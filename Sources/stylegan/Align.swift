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
    var outdir: OutputFolder

    @Option(parsing: .unconditional, help: "Side of the aligned square in pixels (256 for pSp/e4e encoders, 1024 for FFHQ generators).")
    var size: Int = 256

    @Option(parsing: .unconditional, help: "Which face, by box size from 0 (the largest).")
    var face: Int = 0

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        try Bounds.check("--size", size, 1...4096)
        try Bounds.check("--face", face, 0...999)
        let outputs = images.flatMap { image in ["png", "json"].map { (outdir.file("\(baseName(image)).\($0)"), image) } }
        try OutputFiles.check(outputs, inputs: images)
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
        let aligner = FaceAligner(detector: try MTCNN(device: device.resolve()))
        try outdir.prepare()
        let progress = Progress(label: "align")
        var failed = 0
        for (done, path) in images.enumerated() {
            do {
                try alignOne(path, aligner)
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("error: \(describe(error, file: path))\n".utf8))
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
        let png = outdir.file("\(baseName(path)).png")
        try result.image.write(to: png)
        do {
            try record.write(to: outdir.file("\(baseName(path)).json"))
        } catch {
            try? FileManager.default.removeItem(atPath: png)
            throw error
        }
    }

    /// The file name without folder and extension.
    private func baseName(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }
}
