import Testing
import TallyAdapters
import TallyCore

@Suite struct VendorTransactionMappingTests {
    let mapping = VendorTransactionMapping(unit: "USD")

    func item(_ json: String) throws -> JSONValue { try JSONParser.parse(json) }

    @Test(arguments: [
        ("earned", RecordType.positive), ("spent", .negative), ("payout", .negative), ("paid_out", .negative),
    ])
    func mapsEachType(type: String, direction: RecordType) throws {
        let result = mapping.map(try item(
            #"{"id":"t-1","userId":"074092","createdAt":"2026-03-01T12:00:00+02:00","type":"\#(type)","amount":"12.50"}"#))
        let mapped = try result.get()
        #expect(mapped.record.recordId == "vendor:t-1")
        #expect(mapped.record.sourceId == "vendor")
        #expect(mapped.record.destinationId == "user:074092")
        #expect(mapped.record.reference == type)
        #expect(mapped.record.type == direction)
        #expect(mapped.record.value.description == "12.50")
        #expect(mapped.record.unit == "USD")
        #expect(mapped.record.timeText == "2026-03-01T12:00:00+02:00")
        // The body is a record the fleet accepts, and the same every time.
        #expect(try RecordValidator().validate(mapped.body).get() == mapped.record)
        #expect(try mapping.map(try item(
            #"{"id":"t-1","userId":"074092","createdAt":"2026-03-01T12:00:00+02:00","type":"\#(type)","amount":"12.50"}"#)).get().body
            == mapped.body)
    }

    @Test func numbersStayExact() throws {
        let mapped = try mapping.map(try item(
            #"{"id":17,"userId":42,"createdAt":"2026-03-01T00:00:00Z","type":"earned","amount":0.100000000000000005551115123125}"#)).get()
        #expect(mapped.record.recordId == "vendor:17")
        #expect(mapped.record.destinationId == "user:42")
        #expect(mapped.record.value.description == "0.100000000000000005551115123125")
    }

    @Test(arguments: [
        (#"[1]"#, nil as String?, "JSON object"),
        (#"{"userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"earned","amount":"1"}"#, "id", "missing"),
        (#"{"id":"","userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"earned","amount":"1"}"#, "id", "empty"),
        (#"{"id":1.5,"userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"earned","amount":"1"}"#, "id", "integer"),
        (#"{"id":"t","createdAt":"2026-03-01T00:00:00Z","type":"earned","amount":"1"}"#, "userId", "missing"),
        (#"{"id":"t","userId":"u","createdAt":"2026-03-01 00:00","type":"earned","amount":"1"}"#, "createdAt", "RFC 3339"),
        (#"{"id":"t","userId":"u","createdAt":"2026-03-01T00:00:00","type":"earned","amount":"1"}"#, "createdAt", "RFC 3339"),
        (#"{"id":"t","userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"refund","amount":"1"}"#, "type", "unknown type \"refund\""),
        (#"{"id":"t","userId":"u","createdAt":"2026-03-01T00:00:00Z","amount":"1"}"#, "type", "missing"),
        (#"{"id":"t","userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"spent","amount":"-3"}"#, "amount", "negative"),
        (#"{"id":"t","userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"spent","amount":"12,50"}"#, "amount", "exact decimal"),
        (#"{"id":"t","userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"spent","amount":true}"#, "amount", "not a decimal"),
        (#"{"id":"t","userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"spent"}"#, "amount", "missing"),
    ])
    func refusesWithTheFieldAndWhy(json: String, field: String?, says: String) throws {
        let result = mapping.map(try item(json))
        guard case .failure(let rejection) = result else {
            Issue.record("\(json) was mapped")
            return
        }
        #expect(rejection.field == field)
        #expect(rejection.detail.contains(says), "\(rejection.detail)")
        #expect(rejection.item == (try item(json)))
    }

    @Test func aTooLongIdIsRefusedByTheRecordRules() throws {
        let id = String(repeating: "x", count: 250)
        let result = mapping.map(try item(
            #"{"id":"\#(id)","userId":"u","createdAt":"2026-03-01T00:00:00Z","type":"earned","amount":"1"}"#))
        guard case .failure(let rejection) = result else {
            Issue.record("a 257-byte recordId was mapped")
            return
        }
        #expect(rejection.field == "id")
        #expect(rejection.id == id)
        #expect(rejection.detail.contains("refused"))
    }

    @Test func rendersTheRefusedItemAsItCame() throws {
        let json = #"{"id":"t","amount":1.50e2,"nested":[null,true,{"k":"\"q\""}]}"#
        #expect(try item(json).rendered == json)
    }
}
