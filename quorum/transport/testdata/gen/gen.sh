#!/bin/sh
# Regenerates testdata/wire.golden from the installed Apache ZooKeeper
# (Debian package zookeeper, /usr/share/java/zookeeper.jar) and Java 17.
# Run from quorum/transport: sh testdata/gen/gen.sh
set -e
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
javac -cp /usr/share/java/zookeeper.jar -d "$out" testdata/gen/ElectionPeer.java testdata/gen/CaptureWire.java
java -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar:"$out" CaptureWire testdata
