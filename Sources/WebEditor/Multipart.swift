import Foundation

/// A `multipart/form-data` body (RFC 7578), parsed strictly: the boundary from the content type, each part's
/// headers, its bytes. File names are kept only as text to show; nothing here touches the file system.
struct Multipart {
    struct Part {
        let name: String
        let filename: String?
        let contentType: String?
        let body: ArraySlice<UInt8>
    }

    let parts: [Part]

    /// The most parts a body may hold.
    static let maxParts = 8

    init(body: [UInt8], contentType: String) throws {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw EditorError(.unsupportedMediaType, "the upload must be multipart/form-data with the image in the field \"file\"")
        }
        guard let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.utf8.count <= 70 else {
            throw EditorError(.badRequest, "the multipart content type has no valid boundary")
        }
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var searchFrom = 0
        while let found = Self.find(delimiter, in: body, from: searchFrom) {
            positions.append(found)
            searchFrom = found + delimiter.count
        }
        guard positions.count >= 2 else { throw EditorError(.badRequest, "the multipart body is cut short or has no parts") }
        guard positions.count - 1 <= Self.maxParts else {
            throw EditorError(.badRequest, "the multipart body has more than \(Self.maxParts) parts")
        }
        var parts: [Part] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            guard from + 2 <= end, body[from] == 0x0D, body[from + 1] == 0x0A else {
                throw EditorError(.badRequest, "a multipart delimiter is not followed by a line break")
            }
            from += 2
            guard let headerEnd = Self.find(Array("\r\n\r\n".utf8), in: body, from: from), headerEnd < end else {
                throw EditorError(.badRequest, "a multipart part has no header end")
            }
            let headers = String(decoding: body[from..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n")
            var disposition: String?, type: String?
            for line in headers {
                let pieces = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pieces.count == 2 else { continue }
                switch pieces[0].lowercased() {
                case "content-disposition": disposition = pieces[1]
                case "content-type": type = pieces[1]
                default: break
                }
            }
            guard let disposition, disposition.lowercased().hasPrefix("form-data"),
                  let name = Self.parameter("name", in: disposition) else {
                throw EditorError(.badRequest, "a multipart part has no form-data name")
            }
            // The part's bytes end before the line break that precedes the next delimiter.
            let bodyEnd = end - 2
            guard bodyEnd >= headerEnd + 4, body[bodyEnd] == 0x0D, body[bodyEnd + 1] == 0x0A else {
                throw EditorError(.badRequest, "a multipart part does not end with a line break")
            }
            parts.append(Part(name: name, filename: Self.parameter("filename", in: disposition), contentType: type,
                              body: body[(headerEnd + 4)..<bodyEnd]))
        }
        let closing = positions.last! + delimiter.count
        guard closing + 2 <= body.count, body[closing] == 0x2D, body[closing + 1] == 0x2D else {
            throw EditorError(.badRequest, "the multipart body has no closing delimiter (cut short?)")
        }
        self.parts = parts
    }

    /// `key=value` or `key="value"` in a header value.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var index = from
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
