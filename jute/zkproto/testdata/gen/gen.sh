#!/bin/sh
# gen.sh regenerates jute/zkproto/testdata/golden/*.hex from the real
# ZooKeeper Java classes of the Debian zookeeper package (3.8.0). Tests do
# not need Java: the output is checked in. Run from anywhere:
#
#	jute/zkproto/testdata/gen/gen.sh
#
# Classpath: as /usr/share/zookeeper/bin/zkEnv.sh sets it; zookeeper.jar's
# manifest Class-Path brings in zookeeper-jute.jar, slf4j-api and the rest.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
golden="$here/../golden"
cp="${ZOOKEEPER_CLASSPATH:-/usr/share/java/zookeeper.jar}"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

javac -nowarn -d "$build" -cp "$cp" "$here/GoldenGen.java"
rm -f "$golden"/*.hex
# slf4j-nop keeps ZooKeeperServer's constructor quiet (no binding otherwise).
java -cp "$build:$cp:/usr/share/java/slf4j-nop.jar" GoldenGen "$golden"
