import StrataMail
import StrataReport
import Testing

/// The outbox's retry rules as actions, without a mail server or a clock.
struct DeliveryPolicyTests {
    let policy = DeliveryPolicy(retryInterval: 60, retryFor: 86_400)
    let created: Int64 = 1_000_000

    @Test func anAcceptedMessageIsRecordedAsSent() {
        #expect(
            policy.action(for: .accepted("250 ok"), created: created, failures: 3, now: created + 10)
                == .sent(reply: "250 ok"))
    }

    @Test func aPermanentRefusalIsFinalAtOnceEvenOnTheFirstTry() {
        #expect(
            policy.action(for: .permanent("550 no such user"), created: created, failures: 0, now: created)
                == .refused(reason: "550 no such user"))
    }

    @Test(arguments: [(0, 60), (1, 120), (2, 240), (5, 1920), (6, 3600), (40, 3600)] as [(Int, Int64)])
    func temporaryFailuresBackOffDoublingUpToAnHour(failures: Int, pause: Int64) {
        let now = created + 100
        #expect(
            policy.action(for: .temporary("451 later"), created: created, failures: failures, now: now)
                == .retry(at: now + pause, pause: pause, failures: failures + 1, reason: "451 later"))
    }

    @Test func aMessageQueuedLongerThanRetryForIsGivenUp() {
        #expect(
            policy.action(for: .temporary("421 busy"), created: created, failures: 9, now: created + 86_400)
                == .givenUp(reason: "421 busy"))
        // One second earlier it is still retried.
        if case .retry = policy.action(
            for: .temporary("421 busy"), created: created, failures: 9, now: created + 86_399)
        {
        } else {
            Issue.record("expected a retry inside the window")
        }
    }

    @Test func sendRetryDoublesItsPauseInsideTheWindowOnly() {
        var r = SendRetry(window: 10)
        #expect(r.next(elapsed: 0) == 1)
        #expect(r.next(elapsed: 1) == 2)
        #expect(r.next(elapsed: 3) == 4)
        #expect(r.attempts == 4)
        // 7 s spent: the next pause (8 s) would start the attempt after the window.
        #expect(r.next(elapsed: 7) == nil)
        #expect(r.attempts == 4)
    }
}
