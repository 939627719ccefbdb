import Foundation
import Testing

@Suite struct DecodeCommandTests {
    @Test func decodesAClientJoin() throws {
        let run = try PhxtapProcess.run(["decode", #"["4","4","room:lobby","phx_join",{"name":"alice"}]"#])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
        #expect(run.stdout == #"{"from":"client","opcode":"text","size":50,"raw":"[\"4\",\"4\",\"room:lobby\",\"phx_join\",{\"name\":\"alice\"}]","join_ref":"4","ref":"4","topic":"room:lobby","event":"phx_join","payload":{"name":"alice"},"annotations":[]}"# + "\n")
    }

    @Test func decodesABinaryServerReplyFromHex() throws {
        let run = try PhxtapProcess.run(["decode", "--from", "server", "--hex", "01 01 01 0a 02 34 35 72 6f 6f 6d 3a 6c 6f 62 62 79 6f 6b 01 02"])
        #expect(run.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        #expect(object["topic"] as? String == "room:lobby")
        #expect(object["event"] as? String == "phx_reply")
        #expect(object["status"] as? String == "ok")
        #expect(object["ref"] as? String == "5")
        #expect(object["response_base64"] as? String == "AQI=")
    }

    @Test func readsStandardInputAndV1ByVsn() throws {
        let run = try PhxtapProcess.run(["decode", "--vsn", "1.0.0", "-"], stdin: #"{"topic":"room:v1","event":"ping","payload":{"n":1},"ref":5}"# + "\n")
        #expect(run.status == 0)
        #expect(run.stdout.contains(#""ref":5,"topic":"room:v1","event":"ping","payload":{"n":1}"#))
    }

    @Test func malformedFramesExitTwoWithOneSentence() throws {
        let cases: [([String], String)] = [
            (["decode", #"["1","2","room:lobby","ping"]"#], "phxtap: V2 text frame has 4 elements; Phoenix needs 5: [join_ref, ref, topic, event, payload]\n"),
            (["decode", "--from", "server", "--hex", "01 01 01 28 02 34 35 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61"],
             "phxtap: binary reply: topic size 40 runs past the end of a 31-byte frame\n"),
            (["decode", "--hex", "zz"], "phxtap: --hex expects pairs of hexadecimal digits, optionally separated by spaces\n"),
            (["decode", "--vsn", "3.0.0", "[]"], "phxtap: vsn \"3.0.0\" matches neither ~> 1.0.0 nor ~> 2.0.0; a Phoenix server answers such a connection with HTTP 403\n"),
            (["decode", "-"], "phxtap: empty text frame: a Phoenix message needs at least an envelope\n"),
        ]
        for (arguments, message) in cases {
            let run = try PhxtapProcess.run(arguments, stdin: "")
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stdout.isEmpty)
            #expect(run.stderr == message)
        }
    }

    @Test func usageErrorsExitTwo() throws {
        let run = try PhxtapProcess.run(["decode", "--from", "nobody", "[]"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("nobody"))
    }

    @Test func helpIsWrittenForAFirstTimeUser() throws {
        let root = try PhxtapProcess.run(["--help"])
        #expect(root.status == 0)
        #expect(root.stdout.contains("See, decode and check Phoenix Channels traffic."))
        let decode = try PhxtapProcess.run(["decode", "--help"])
        #expect(decode.status == 0)
        #expect(decode.stdout.contains("--from <from>"))
        #expect(decode.stdout.contains("Exits 2 with one sentence on standard error"))
    }
}
