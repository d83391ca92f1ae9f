import Checkpoints
import Foundation
import Images
import Testing
import Torch

@testable import Data

@Suite("StyleGAN2-ADA dataset zips")
struct DatasetZipSourceTests {
    /// A zip as dataset_tool.py writes one: "00000/img00000000.png", ..., and `labels` as dataset.json.
    func writeZip(_ path: String, count: Int, size: Int, labels: String?, extra: [(String, [UInt8])] = []) throws {
        var members: [(name: String, bytes: [UInt8])] = try (0..<count).map { index in
            (String(format: "00000/img%08d.png", index), try encoded(patternImage(width: size, height: size, seed: index)))
        }
        members.reverse()  // the dataset order comes from the names, not the archive
        if let labels { members.append((name: "dataset.json", bytes: Array(labels.utf8))) }
        try ZipFile.write(members + extra.map { (name: $0.0, bytes: $0.1) }, to: path)
    }

    @Test("images come back in name order with one-hot class labels")
    func classLabels() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/data.zip"
            try writeZip(path, count: 3, size: 8, labels: """
                {"labels": [["00000/img00000002.png", 0], ["00000/img00000000.png", 2], ["00000/img00000001.png", 1]]}
                """, extra: [("00000/", []), ("__MACOSX/00000/._img00000000.png", [1, 2, 3])])
            let dataset = try ImageDataset.open(path, options: DatasetOptions(size: 8))
            #expect(dataset.fit == .exact)
            #expect((dataset.source as? DatasetZipSource)?.members
                == ["00000/img00000000.png", "00000/img00000001.png", "00000/img00000002.png"])
            for index in 0..<3 {
                #expect(try same(dataset.image(at: index), expected(patternImage(width: 8, height: 8, seed: index))))
            }
            #expect(dataset.labels == .classes([2, 1, 0]))
            #expect(dataset.labels?.dimension == 3)
            #expect(dataset.labels?.vector(at: 0) == [0, 0, 1])
        }
    }

    /// Resources/deflated.zip was made by Python's zipfile with ZIP_DEFLATED: img0.png and img1.png (4 x 4 pattern
    /// images of seeds 0 and 1, written by Pillow) and dataset.json with classes 1 and 0.
    @Test("DEFLATE-compressed members, as zip tools write them, read too")
    func deflated() throws {
        let dataset = try ImageDataset.open(resource("deflated.zip"), options: DatasetOptions(size: 4))
        for index in 0..<2 {
            #expect(try same(dataset.image(at: index), expected(patternImage(width: 4, height: 4, seed: index))))
        }
        #expect(dataset.labels == .classes([1, 0]))
    }

    @Test("float vector labels and null labels")
    func vectorLabels() throws {
        try withTemporaryFolder { folder in
            try writeZip(folder + "/v.zip", count: 2, size: 4, labels: """
                {"labels": [["00000/img00000000.png", [0.5, -1]], ["00000/img00000001.png", [2, 3.25]]]}
                """)
            let labels = try DatasetZipSource(path: folder + "/v.zip").labels
            #expect(labels == .vectors([[0.5, -1], [2, 3.25]]))
            #expect(labels?.dimension == 2)
            try writeZip(folder + "/n.zip", count: 2, size: 4, labels: #"{"labels": null}"#)
            #expect(try DatasetZipSource(path: folder + "/n.zip").labels == nil)
        }
    }

    @Test("bad dataset.json files are refused with the reason")
    func badLabels() throws {
        try withTemporaryFolder { folder in
            let cases = [
                (#"{"labels": [["00000/img00000000.png", 1]]}"#, "no label for '00000/img00000001.png'"),
                (#"{"labels": [["00000/img00000000.png", 1], ["00000/img00000001.png", -1]]}"#, "negative"),
                (#"{"labels": [["00000/img00000000.png", 1], ["00000/img00000001.png", [1.0]]]}"#, "class label"),
                (#"{"labels": [["00000/img00000000.png", [1]], ["00000/img00000001.png", [1, 2]]]}"#, "2 numbers"),
                (#"{"labels": [["00000/img00000000.png", "cat"]]}"#, "labels[0][1]"),
                (#"{"labels": "#, "not a dataset.json"),
            ]
            for (index, (json, reason)) in cases.enumerated() {
                let path = folder + "/\(index).zip"
                try writeZip(path, count: 2, size: 4, labels: json)
                let error = dataError { _ = try DatasetZipSource(path: path) }
                #expect(error?.kind == .badLabels)
                #expect(error?.path == path + ":dataset.json")
                #expect(error?.message.contains(reason) == true, "\(json): \(error?.message ?? "no error")")
            }
        }
    }

    @Test("an image of another size, a corrupt member and a damaged archive are named")
    func badContents() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/data.zip"
            try writeZip(path, count: 2, size: 8, labels: nil, extra: [("00000/img00000002.png", Array("junk".utf8))])
            let dataset = try ImageDataset.open(path, options: DatasetOptions(size: 4))
            let wrong = dataError { _ = try dataset.image(at: 0) }
            #expect(wrong?.kind == .wrongImageSize)
            #expect(wrong?.path == path + ":00000/img00000000.png")
            let corrupt = dataError { _ = try dataset.image(at: 2) }
            #expect(corrupt?.kind == .badImage)
            #expect(corrupt?.path == path + ":00000/img00000002.png")
            // The same zip at 4 px through the centre-crop-resize fit.
            let fitted = try ImageDataset.open(path, options: DatasetOptions(size: 4, fit: .centerCropResize))
            #expect(try fitted.image(at: 1).shape == [3, 4, 4])

            var bytes = [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: path)))
            bytes.removeLast(30)
            try writeFile(bytes, to: folder + "/cut.zip")
            let cutError = dataError { _ = try ImageDataset.open(folder + "/cut.zip", options: DatasetOptions(size: 4)) }
            #expect(cutError?.kind == .unreadableDataset)
            try ZipFile.write([(name: "readme.txt", bytes: [1])], to: folder + "/none.zip")
            let noImages = dataError { _ = try ImageDataset.open(folder + "/none.zip", options: DatasetOptions(size: 4)) }
            #expect(noImages?.kind == .empty)
        }
    }
}
