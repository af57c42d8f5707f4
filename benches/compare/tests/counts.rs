//! Every codec decodes every workload to the same packets, and every encoder
//! produces the reference bytes.

use mqtt_wire_compare::{all_workloads, decoders, encode_reference, encoders, wire, Proto};

#[test]
fn workloads_are_well_formed() {
    for w in all_workloads() {
        let mut off = 0;
        let mut n = 0;
        while off < w.data.len() {
            let len = wire::frame_len(&w.data[off..]).expect("truncated packet");
            assert_eq!(w.data[off] >> 4, 3, "not a PUBLISH");
            off += len;
            n += 1;
        }
        assert_eq!(off, w.data.len());
        assert_eq!(n, w.packets, "{}", w.name);
    }
}

#[test]
fn small_packet_sizes() {
    // 3.1.1 QoS 0: 1 + 1 (remaining length 91) + 2 + 25 + 64
    assert_eq!(mqtt_wire_compare::v311_qos0().data.len(), 93 * 100_000);
    assert_eq!(mqtt_wire_compare::v311_qos1().data.len(), 95 * 100_000);
    assert_eq!(mqtt_wire_compare::v5_qos0().data.len(), 94 * 100_000);
    assert_eq!(mqtt_wire_compare::v5_qos1().data.len(), 96 * 100_000);
    // four properties: 56 bytes of properties, remaining length 150 (2 bytes)
    assert_eq!(mqtt_wire_compare::v5_qos1_props().data.len(), 153 * 100_000);
    // 64 KiB payload: remaining length needs 3 bytes
    assert_eq!(
        mqtt_wire_compare::v311_big().data.len(),
        (1 + 3 + 2 + 25 + 65_536) * 1_000
    );
}

#[test]
fn every_codec_decodes_every_packet() {
    let mut seen_v311 = Vec::new();
    let mut seen_v5 = Vec::new();
    for w in all_workloads() {
        for d in decoders(w.proto) {
            let got = d.run_on(&w.data);
            assert_eq!(got.packets, w.packets, "{} on {}", d.name, w.name);
            if !d.name.starts_with("floor/") {
                assert_eq!(
                    got.payload_bytes, w.payload_bytes,
                    "{} on {}",
                    d.name, w.name
                );
            }
            match w.proto {
                Proto::V311 => seen_v311.push(d.name),
                Proto::V5 => seen_v5.push(d.name),
            }
        }
    }
    // at least the codecs the comparison promises
    for name in [
        "mqttbytes/v4",
        "rumqttc/v4",
        "mqttrs",
        "mqtt-protocol-core/v3_1_1",
        "mqtt-proto/v3",
    ] {
        assert!(seen_v311.contains(&name), "{name} missing");
    }
    for name in [
        "mqttbytes/v5",
        "rumqttc/v5",
        "mqtt-protocol-core/v5_0",
        "mqtt-proto/v5",
    ] {
        assert!(seen_v5.contains(&name), "{name} missing");
    }
    #[cfg(feature = "mqtt-wire")]
    {
        assert!(seen_v311.contains(&"mqtt-wire/decoder"));
        assert!(seen_v5.contains(&"mqtt-wire/decode_slice"));
    }
}

#[test]
fn every_encoder_matches_the_reference() {
    let reference = encode_reference();
    assert_eq!(reference.len(), 95);
    for mut e in encoders() {
        assert_eq!(e.once(), reference, "{}", e.name());
        assert_eq!(e.run(1_000), 1_000 * reference.len(), "{}", e.name());
    }
}
