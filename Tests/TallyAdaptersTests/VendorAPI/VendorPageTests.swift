import Testing
import TallyAdapters
import TallyCore

@Suite struct VendorPageTests {
    @Test func parsesAPage() throws {
        let page = try VendorPage.parse(
            Array(#"{"transactions":[{"id":"1"},{"id":2}],"nextCursor":"2","hasMore":true}"#.utf8), maxTransactions: 1_000)
        #expect(page.transactions.count == 2)
        #expect(page.nextCursor == "2")
        #expect(page.hasMore)
    }

    @Test func hasMoreDefaultsToAFullPage() throws {
        let full = try VendorPage.parse(Array(#"{"transactions":[1,2],"nextCursor":"c"}"#.utf8), maxTransactions: 2)
        #expect(full.hasMore)
        let short = try VendorPage.parse(Array(#"{"transactions":[1],"nextCursor":"c"}"#.utf8), maxTransactions: 2)
        #expect(!short.hasMore)
    }

    @Test(arguments: [
        ("not json", "not JSON"),
        ("[]", "not an object"),
        (#"{"nextCursor":"c"}"#, "\"transactions\""),
        (#"{"transactions":{},"nextCursor":"c"}"#, "\"transactions\""),
        (#"{"transactions":[]}"#, "\"nextCursor\""),
        (#"{"transactions":[],"nextCursor":""}"#, "\"nextCursor\""),
        (#"{"transactions":[],"nextCursor":3}"#, "\"nextCursor\""),
        (#"{"transactions":[1,2,3],"nextCursor":"c"}"#, "at most 2"),
        (#"{"transactions":[],"nextCursor":"c","hasMore":"yes"}"#, "\"hasMore\""),
    ])
    func refusesWhatIsNotAPage(body: String, says: String) {
        let error = #expect(throws: VendorPageError.self) {
            _ = try VendorPage.parse(Array(body.utf8), maxTransactions: 2)
        }
        #expect(error?.description.contains(says) == true, "\(error?.description ?? "")")
    }
}
