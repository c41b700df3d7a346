import Testing
import TallyAdapters

@Suite struct AdapterNamespaceTests {
    let meters = AdapterNamespace(sourceId: "readings", destinationPrefix: "icp:")

    @Test func destinationCarriesThePrefix() {
        #expect(meters.destination("33") == "icp:33")
    }

    @Test func keyIsRecoveredOnlyFromOwnDestinations() {
        #expect(meters.key(ofDestination: "icp:33") == "33")
        #expect(meters.key(ofDestination: "account:33") == nil)
        #expect(meters.key(ofDestination: "33") == nil)
    }
}
