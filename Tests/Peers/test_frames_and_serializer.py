"""Unit tests of the peers' own codecs: frame parsing in any split, permessage-deflate, Phoenix serializers."""

from __future__ import annotations

import pytest

import phx_serializer as ser
import ws_frames as wsf


def _stream() -> bytes:
    return (wsf.encode_frame(wsf.TEXT, b'["1","1","room:a","phx_join",{}]', mask=b"\x01\x02\x03\x04")
            + wsf.encode_frame(wsf.BINARY, b"x" * 70_000, mask=b"abcd")
            + wsf.encode_frame(wsf.TEXT, b"frag", mask=b"abcd", fin=False)
            + wsf.encode_frame(wsf.PING, b"p", mask=b"abcd")
            + wsf.encode_frame(wsf.CONT, b"ment", mask=b"abcd")
            + wsf.encode_frame(wsf.CLOSE, b"", mask=b"abcd"))


def test_parser_gives_the_same_events_one_byte_at_a_time_and_all_at_once() -> None:
    data = _stream()
    whole = wsf.FrameParser(expect_mask=True).feed(data)
    parser, split = wsf.FrameParser(expect_mask=True), []
    for i in range(len(data)):
        split += parser.feed(data[i:i + 1])
    assert whole == split
    assert [type(e).__name__ for e in whole] == ["Message", "Message", "Control", "Message", "Control"]
    assert whole[3] == wsf.Message(wsf.TEXT, b"fragment")
    assert whole[4] == wsf.Control(wsf.CLOSE, b"", None)


def test_unmasked_client_frame_stops_the_parser() -> None:
    # 81 02 "hi": a text frame with the MASK bit clear, from a client
    events = wsf.FrameParser(expect_mask=True).feed(bytes.fromhex("81026869") + wsf.encode_frame(1, b"x", b"abcd"))
    assert events == [wsf.Unmasked()]


def test_reserved_bit_without_extension_is_a_protocol_error() -> None:
    # c1 = FIN + RSV1 + text, but no permessage-deflate was negotiated
    events = wsf.FrameParser(expect_mask=True).feed(bytes.fromhex("c180") + b"abcd")
    assert events == [wsf.ProtocolError(1002, "reserved bits set without a negotiated extension")]


def test_deflate_round_trip_with_context_takeover() -> None:
    server = wsf.Deflate()
    client = wsf.Deflate()
    for text in (b'["1","1","room:a","ping",{}]',) * 3:
        assert client.decompress(server.compress(text)) == text


@pytest.mark.parametrize("vsn,version", [(None, 1), ("1.0.0", 1), ("1.0.9", 1), ("2.0.0", 2), ("2.0.1", 2),
                                         ("2.1.0", None), ("123.1.1", None), ("2.0", None), ("2.0.0-rc.1", None),
                                         ("02.0.0", None), ("", None)])
def test_vsn_negotiation(vsn: str | None, version: int | None) -> None:
    assert ser.parse_vsn(vsn) == version


@pytest.mark.parametrize("vsn,binary,data,error", [
    (2, False, b'{"topic":"a"}', "V2 text frame must be an array of at least 5 elements"),  # object on V2
    (2, False, b'[null,"1","a","b"]', "V2 text frame must be an array of at least 5 elements"),  # 4 elements
    (1, False, b'["1","1","a","b",{}]', "V1 JSON Serializer expected a map"),  # array on V1
    (1, False, b'{"topic":"a","event":"b","payload":{}}', "missing key 'ref'"),
    (2, True, bytes.fromhex("0001010803") + b"45", "binary push header sizes need 18 bytes, frame has 7"),
    (2, True, bytes.fromhex("01010108 02") + b"45room:binok", "binary frame kind 1 is not a push (0)"),
    (1, True, bytes.fromhex("00010101 01") + b"1" * 4, "the V1 serializer does not accept binary frames"),
])
def test_undecodable_client_frames(vsn: int, binary: bool, data: bytes, error: str) -> None:
    with pytest.raises(ser.DecodeError) as exc:
        ser.decode(vsn, binary, data)
    assert str(exc.value) == error


def test_server_binary_layouts_match_the_binary_capture() -> None:
    assert ser.encode(2, "4", None, "room:bin", "bin_push", b"\x00\x01") == (
        True, bytes.fromhex("00 01 08 08") + b"4room:binbin_push\x00\x01")
    assert ser.encode(2, "4", "5", "room:bin", "phx_reply", ser.Reply("ok", b"\x00")) == (
        True, bytes.fromhex("01 01 01 08 02") + b"45room:binok\x00")
    assert ser.encode(2, None, None, "room:bin", "bin_bcast", b"\xde\xad\xbe\xef") == (
        True, bytes.fromhex("02 08 09") + b"room:binbin_bcast\xde\xad\xbe\xef")
