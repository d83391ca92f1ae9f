import Torch

/// The header dict of an .npy file, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
///
/// NumPy reads it with a Python literal evaluator; this parser accepts exactly that dict of exactly those three
/// keys, with a str, a bool and a tuple of ints, and nothing else.
struct NumPyHeader {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]

    struct Failure: Error {
        let message: String
        /// Well formed, but a dtype this library does not read.
        var unsupported = false
    }

    init(descr: String, fortranOrder: Bool, shape: [Int]) {
        self.descr = descr
        self.fortranOrder = fortranOrder
        self.shape = shape
    }

    /// Python's repr of the dict as np.save writes it (keys in this order, trailing ", ").
    var text: String {
        let dims = shape.map(String.init)
        let tuple = dims.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
        return "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(tuple), }"
    }

    // MARK: parsing

    private enum Literal {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    init(parsing text: String) throws(Failure) {
        var parser = Parser(scalars: Array(text.unicodeScalars))
        var values: [String: Literal] = [:]
        parser.skipSpaces()
        try parser.expect("{")
        parser.skipSpaces()
        while !parser.consume("}") {
            let key = try parser.string()
            parser.skipSpaces()
            try parser.expect(":")
            parser.skipSpaces()
            guard values.updateValue(try parser.literal(), forKey: key) == nil else {
                throw Failure(message: "key '\(key)' appears twice")
            }
            parser.skipSpaces()
            if !parser.consume(",") {
                try parser.expect("}")
                break
            }
            parser.skipSpaces()
        }
        parser.skipSpaces()
        guard parser.atEnd else { throw Failure(message: "text after the closing '}'") }

        guard Set(values.keys) == ["descr", "fortran_order", "shape"] else {
            throw Failure(message: "keys are \(values.keys.sorted()), not exactly 'descr', 'fortran_order', 'shape'")
        }
        guard case .string(let descr)? = values["descr"] else { throw Failure(message: "'descr' is not a string") }
        guard case .bool(let fortran)? = values["fortran_order"] else {
            throw Failure(message: "'fortran_order' is not True or False")
        }
        guard case .tuple(let shape)? = values["shape"] else {
            throw Failure(message: "'shape' is not a tuple of ints")
        }
        self.init(descr: descr, fortranOrder: fortran, shape: shape)
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        var i = 0

        var atEnd: Bool { i == scalars.count }

        mutating func skipSpaces() {
            while i < scalars.count, scalars[i] == " " || scalars[i] == "\n" || scalars[i] == "\t" { i += 1 }
        }

        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            guard i < scalars.count, scalars[i] == c else { return false }
            i += 1
            return true
        }

        mutating func expect(_ c: Unicode.Scalar) throws(Failure) {
            guard consume(c) else { throw Failure(message: "expected '\(c)' at character \(i)") }
        }

        mutating func string() throws(Failure) -> String {
            guard i < scalars.count, scalars[i] == "'" || scalars[i] == "\"" else {
                throw Failure(message: "expected a quoted string at character \(i)")
            }
            let quote = scalars[i]
            i += 1
            var text = String.UnicodeScalarView()
            while i < scalars.count, scalars[i] != quote {
                guard scalars[i] != "\\", scalars[i] != "\n" else {
                    throw Failure(message: "escapes are not allowed in header strings")
                }
                text.append(scalars[i])
                i += 1
            }
            try expect(quote)
            return String(text)
        }

        mutating func literal() throws(Failure) -> Literal {
            guard i < scalars.count else { throw Failure(message: "unexpected end of header") }
            switch scalars[i] {
            case "'", "\"": return .string(try string())
            case "(": return .tuple(try tuple())
            default:
                if word("True") { return .bool(true) }
                if word("False") { return .bool(false) }
                throw Failure(message: "unexpected value at character \(i)")
            }
        }

        private mutating func word(_ text: String) -> Bool {
            let chars = Array(text.unicodeScalars)
            guard scalars.count - i >= chars.count, Array(scalars[i..<(i + chars.count)]) == chars else { return false }
            i += chars.count
            return true
        }

        /// `()`, `(3,)`, `(2, 3)`, `(2, 3,)`; Python 2 NumPy wrote longs as `3L`. `(3)` is an int, not a tuple.
        private mutating func tuple() throws(Failure) -> [Int] {
            i += 1
            var values: [Int] = []
            var sawComma = false
            skipSpaces()
            while !consume(")") {
                let start = i
                while i < scalars.count, ("0"..."9").contains(scalars[i]) { i += 1 }
                guard i > start, let value = Int(String(String.UnicodeScalarView(scalars[start..<i]))) else {
                    throw Failure(message: "shape holds something other than a non-negative int at character \(start)")
                }
                _ = consume("L")
                values.append(value)
                skipSpaces()
                if consume(",") {
                    sawComma = true
                    skipSpaces()
                } else {
                    try expect(")")
                    break
                }
            }
            guard values.count != 1 || sawComma else { throw Failure(message: "'shape' is an int, not a tuple") }
            return values
        }
    }

    // MARK: dtypes

    /// The dtype a descr names, or why it is not one this library reads.
    static func dtype(of descr: String) -> Result<DType, Failure> {
        guard let order = descr.first else { return .failure(Failure(message: "empty 'descr'")) }
        let kind = String(descr.dropFirst())
        let dtype: DType? = switch kind {
        case "f2": .float16
        case "f4": .float32
        case "f8": .float64
        case "i1": .int8
        case "i2": .int16
        case "i4": .int32
        case "i8": .int64
        case "u1": .uint8
        case "b1": .bool
        default: nil
        }
        switch order {
        case ">":
            return .failure(Failure(message: "big-endian data ('\(descr)') is not supported", unsupported: true))
        case "<", "|":
            guard let dtype else {
                return .failure(Failure(message: "dtype '\(descr)' is not supported", unsupported: true))
            }
            guard order == "<" || dtype.byteSize == 1 else {
                return .failure(Failure(message: "'\(descr)' has no byte order for a multi-byte type"))
            }
            return .success(dtype)
        default:
            return .failure(Failure(message: "'descr' '\(descr)' is not a little-endian simple dtype"))
        }
    }

    /// The descr np.save writes for `dtype`; nil for bfloat16, which NumPy lacks.
    static func descr(of dtype: DType) -> String? {
        switch dtype {
        case .float16: "<f2"
        case .float32: "<f4"
        case .float64: "<f8"
        case .int8: "|i1"
        case .int16: "<i2"
        case .int32: "<i4"
        case .int64: "<i8"
        case .uint8: "|u1"
        case .bool: "|b1"
        case .bfloat16: nil
        }
    }
}
