import CRabbitMQ
#if canImport(Glibc)
import Glibc
#endif

/// C memory for the strings and tables of one AMQP call, freed together.
/// rabbitmq-c only borrows `amqp_bytes_t`, so they must outlive the call.
final class CallArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for pointer in allocations { free(pointer) }
    }

    func bytes(_ string: String) -> amqp_bytes_t {
        let count = string.utf8.count
        guard count > 0, let memory = malloc(count) else { return amqp_empty_bytes }
        allocations.append(memory)
        var text = string
        text.withUTF8 { source in memory.copyMemory(from: source.baseAddress!, byteCount: count) }
        return amqp_bytes_t(len: count, bytes: memory)
    }

    func table(_ entries: [(String, AMQPFieldValue)]) -> amqp_table_t {
        guard !entries.isEmpty else { return amqp_empty_table }
        let buffer = UnsafeMutablePointer<amqp_table_entry_t>.allocate(capacity: entries.count)
        allocations.append(UnsafeMutableRawPointer(buffer))
        var count: Int32 = 0
        for (key, value) in entries {
            let field: amqp_field_value_t
            switch value {
            case .string(let text): field = tally_field_utf8(bytes(text))
            case .integer(let number): field = tally_field_i64(number)
            case .boolean(let flag):
                var boolean = amqp_field_value_t()
                boolean.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
                boolean.value.boolean = flag ? 1 : 0
                field = boolean
            case .table, .array, .unsupported:
                continue  // tally never writes these
            }
            (buffer + Int(count)).initialize(to: amqp_table_entry_t(key: bytes(key), value: field))
            count += 1
        }
        return amqp_table_t(num_entries: count, entries: buffer)
    }
}

/// Reading tables out of rabbitmq-c's buffers into Swift values.
enum AMQPTableReader {
    static func read(_ table: amqp_table_t) -> [String: AMQPFieldValue] {
        var result: [String: AMQPFieldValue] = [:]
        guard table.num_entries > 0, let entries = table.entries else { return result }
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            result[string(entry.key)] = value(entry.value)
        }
        return result
    }

    static func value(_ field: amqp_field_value_t) -> AMQPFieldValue {
        switch UInt32(field.kind) {
        case AMQP_FIELD_KIND_UTF8.rawValue, AMQP_FIELD_KIND_BYTES.rawValue:
            return .string(string(field.value.bytes))
        case AMQP_FIELD_KIND_BOOLEAN.rawValue: return .boolean(field.value.boolean != 0)
        case AMQP_FIELD_KIND_I8.rawValue: return .integer(Int64(field.value.i8))
        case AMQP_FIELD_KIND_U8.rawValue: return .integer(Int64(field.value.u8))
        case AMQP_FIELD_KIND_I16.rawValue: return .integer(Int64(field.value.i16))
        case AMQP_FIELD_KIND_U16.rawValue: return .integer(Int64(field.value.u16))
        case AMQP_FIELD_KIND_I32.rawValue: return .integer(Int64(field.value.i32))
        case AMQP_FIELD_KIND_U32.rawValue: return .integer(Int64(field.value.u32))
        case AMQP_FIELD_KIND_I64.rawValue: return .integer(field.value.i64)
        case AMQP_FIELD_KIND_U64.rawValue, AMQP_FIELD_KIND_TIMESTAMP.rawValue:
            return .integer(Int64(truncatingIfNeeded: field.value.u64))
        case AMQP_FIELD_KIND_TABLE.rawValue: return .table(read(field.value.table))
        case AMQP_FIELD_KIND_ARRAY.rawValue:
            let array = field.value.array
            guard array.num_entries > 0, let entries = array.entries else { return .array([]) }
            return .array((0..<Int(array.num_entries)).map { value(entries[$0]) })
        default: return .unsupported(kind: field.kind)
        }
    }

    static func string(_ bytes: amqp_bytes_t) -> String {
        guard bytes.len > 0, let pointer = bytes.bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes.len), as: UTF8.self)
    }
}
