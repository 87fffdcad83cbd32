// GoldenGen writes the golden wire bytes that jute/zkproto/golden_test.go
// checks the Go codec against. Every file is produced by the real Apache
// ZooKeeper Java classes (the Debian zookeeper 3.8.0 jars) serialising through
// org.apache.jute.BinaryOutputArchive, or, for whole packets, by the very
// client and server code paths that put them on the wire.
//
// Run it through gen.sh; do not edit the .hex files by hand.
//
// Output: one file per record and variant, testdata/golden/<Record>[-variant].hex:
//
//	# ZooKeeper <version>: <java class>
//	# <field values>
//	<hex, 32 bytes a line>
//
// Coverage: every record class generated from zookeeper.jute into the 3.8.0
// jars (org.apache.zookeeper.data/proto/txn, server.quorum LearnerInfo,
// QuorumPacket, QuorumAuthPacket, server.persistence FileHeader), including
// WhoAmIResponse and ClientInfo (added in 3.7.0). Not covered, because the
// 3.8.0 jars have no such class: GetStatPersistedRequest and
// GetStatPersistedResponse, which jute/zkproto declares but which are not
// upstream records, and StatPersistedV1, which 3.8.0 no longer has.

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.MultiOperationRecord;
import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Version;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.data.StatPersisted;
import org.apache.zookeeper.proto.*;
import org.apache.zookeeper.server.persistence.FileHeader;
import org.apache.zookeeper.server.persistence.Util;
import org.apache.zookeeper.server.quorum.LearnerInfo;
import org.apache.zookeeper.server.quorum.QuorumAuthPacket;
import org.apache.zookeeper.server.quorum.QuorumPacket;
import org.apache.zookeeper.txn.*;

public class GoldenGen {
    static Path out;
    static int count;

    // Distinctive values, repeated verbatim in golden_test.go. Every field
    // differs from its neighbours so that a swapped or skipped field shows.
    static final String PATH = "/zabd/golden";
    static final byte[] DATA = "golden-data\u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1);
    static final long SESSION = 0x7200000000abcdefL;
    static final Stat STAT = new Stat(0x100000001L, 0x100000002L, 1700000000001L, 1700000000002L,
            3, 4, 5, SESSION, 6, 7, 0x100000008L);
    static final String STAT_DESC = "Stat{czxid=0x100000001 mzxid=0x100000002 ctime=1700000000001 "
            + "mtime=1700000000002 version=3 cversion=4 aversion=5 ephemeralOwner=0x7200000000abcdef "
            + "dataLength=6 numChildren=7 pzxid=0x100000008}";
    static final StatPersisted STATP = new StatPersisted(0x100000001L, 0x100000002L, 1700000000001L,
            1700000000002L, 3, 4, 5, SESSION, 0x100000008L);
    static final String STATP_DESC = "StatPersisted{czxid=0x100000001 mzxid=0x100000002 ctime=1700000000001 "
            + "mtime=1700000000002 version=3 cversion=4 aversion=5 ephemeralOwner=0x7200000000abcdef "
            + "pzxid=0x100000008}";
    static final List<ACL> ACLS = Arrays.asList(
            new ACL(ZooDefs.Perms.ALL, new Id("world", "anyone")),
            new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.ADMIN, new Id("digest", "alice:G7Ua5Jw4lH2Xn0u5vfM4Cw0fG1g=")));
    static final String ACLS_DESC = "[ACL{31 world:anyone} ACL{17 digest:alice:G7Ua5Jw4lH2Xn0u5vfM4Cw0fG1g=}]";
    static final String DATA_DESC = "\"golden-data\\x00\\xff\" (13 bytes)";

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: GoldenGen <golden dir>");
            System.exit(2);
        }
        out = Paths.get(args[0]);
        Files.createDirectories(out);

        data();
        proto();
        txn();
        server();
        multi();
        packets();
        System.out.println("wrote " + count + " goldens to " + out);
    }

    // ---- module data ----

    static void data() throws Exception {
        emit("Id", "scheme=digest id=alice:secret", new Id("digest", "alice:secret"));
        emit("ACL", "perms=17 id={digest alice:x}", new ACL(17, new Id("digest", "alice:x")));
        emit("Stat", STAT_DESC, STAT);
        emit("StatPersisted", STATP_DESC, STATP);
        emit("ClientInfo", "authScheme=ip user=127.0.0.1", new ClientInfo("ip", "127.0.0.1"));
    }

    // ---- module proto ----

    static void proto() throws Exception {
        byte[] passwd = passwd(SESSION);
        String pwDesc = "passwd=ZooKeeperServer.generatePasswd(0x7200000000abcdef)";

        // The Java ConnectRequest class has no readOnly field: ClientCnxn's
        // Packet.createBB serialises the record, then writes the flag with
        // boa.writeBool(readOnly, "readOnly"). go-zookeeper omits the flag.
        ConnectRequest creq = new ConnectRequest(0, 0x100000005L, 30000, SESSION, passwd);
        String creqDesc = "protocolVersion=0 lastZxidSeen=0x100000005 timeOut=30000 sessionId=0x7200000000abcdef " + pwDesc;
        emit("ConnectRequest-noReadOnly", creqDesc + " (no readOnly byte, as go-zookeeper sends)", creq);
        emitWithBool("ConnectRequest-readOnlyFalse", creqDesc + " + writeBool(false,\"readOnly\")", creq, false);
        emitWithBool("ConnectRequest-readOnlyTrue", creqDesc + " + writeBool(true,\"readOnly\")", creq, true);
        emitWithBool("ConnectRequest-newSession",
                "protocolVersion=0 lastZxidSeen=0 timeOut=30000 sessionId=0 passwd=16 zero bytes + writeBool(false,\"readOnly\")",
                new ConnectRequest(0, 0, 30000, 0, new byte[16]), false);
        emit("ConnectRequest-nullPasswd",
                "protocolVersion=0 lastZxidSeen=0 timeOut=4000 sessionId=0 passwd=null (no readOnly byte)",
                new ConnectRequest(0, 0, 4000, 0, null));

        // ZooKeeperServer.finishSessionInit serialises the record and appends
        // writeBool(isReadOnlyServer) only if the client sent the flag.
        ConnectResponse cresp = new ConnectResponse(0, 20000, SESSION, passwd);
        String crespDesc = "protocolVersion=0 timeOut=20000 sessionId=0x7200000000abcdef " + pwDesc;
        emit("ConnectResponse-noReadOnly", crespDesc + " (no readOnly byte: old client)", cresp);
        emitWithBool("ConnectResponse-readOnlyFalse", crespDesc + " + writeBool(false,\"readOnly\")", cresp, false);
        emitWithBool("ConnectResponse-readOnlyTrue", crespDesc + " + writeBool(true,\"readOnly\")", cresp, true);
        emitWithBool("ConnectResponse-invalid",
                "protocolVersion=0 timeOut=0 sessionId=0 passwd=16 zero bytes + writeBool(false,\"readOnly\") (session expired)",
                new ConnectResponse(0, 0, 0, new byte[16]), false);

        emit("SetWatches", "relativeZxid=0x100000009 dataWatches=[/a /b] existWatches=[] childWatches=[/c]",
                new SetWatches(0x100000009L, list("/a", "/b"), list(), list("/c")));
        emit("SetWatches-nullLists", "relativeZxid=-1 dataWatches=null existWatches=null childWatches=null",
                new SetWatches(-1L, null, null, null));
        emit("SetWatches2",
                "relativeZxid=0x10000000a dataWatches=[/d] existWatches=[/e1 /e2] childWatches=[] persistentWatches=[/p] persistentRecursiveWatches=[/r /r/s]",
                new SetWatches2(0x10000000aL, list("/d"), list("/e1", "/e2"), list(), list("/p"), list("/r", "/r/s")));

        emit("RequestHeader", "xid=7 type=4 (getData)", new RequestHeader(7, ZooDefs.OpCode.getData));
        emit("RequestHeader-ping", "xid=-2 type=11 (ping)", new RequestHeader(-2, ZooDefs.OpCode.ping));
        emit("MultiHeader", "type=5 (setData) done=false err=-1", new MultiHeader(ZooDefs.OpCode.setData, false, -1));
        emit("MultiHeader-done", "type=-1 done=true err=-1", new MultiHeader(-1, true, -1));
        emit("MultiHeader-error", "type=-1 (error) done=false err=-101", new MultiHeader(-1, false, -101));
        emit("AuthPacket", "type=0 scheme=digest auth=\"alice:secret\"",
                new AuthPacket(0, "digest", "alice:secret".getBytes(StandardCharsets.UTF_8)));
        emit("AuthPacket-emptyAuth", "type=0 scheme=ip auth=\"\" (empty)", new AuthPacket(0, "ip", new byte[0]));
        emit("ReplyHeader", "xid=7 zxid=0x100000010 err=0", new ReplyHeader(7, 0x100000010L, 0));
        emit("ReplyHeader-notification", "xid=-1 zxid=-1 err=0 (3.8 watch event)", new ReplyHeader(-1, -1L, 0));
        emit("ReplyHeader-error", "xid=9 zxid=0x100000011 err=-101 (NoNode)", new ReplyHeader(9, 0x100000011L, -101));
        emit("GetDataRequest", "path=/zabd/golden watch=true", new GetDataRequest(PATH, true));
        emit("SetDataRequest", "path=/zabd/golden data=" + DATA_DESC + " version=3", new SetDataRequest(PATH, DATA, 3));
        emit("SetDataRequest-nullData", "path=/zabd/golden data=null version=-1", new SetDataRequest(PATH, null, -1));
        emit("SetDataRequest-emptyData", "path=/zabd/golden data=\"\" (empty) version=0",
                new SetDataRequest(PATH, new byte[0], 0));
        emit("ReconfigRequest",
                "joiningServers=server.4=127.0.0.1:2891:3891;2184 leavingServers=3 newMembers=\"\" curConfigId=0x100000000",
                new ReconfigRequest("server.4=127.0.0.1:2891:3891;2184", "3", "", 0x100000000L));
        // zkCli's "reconfig -remove 3" leaves the other two strings null
        // (ReconfigCommand passes cl.getOptionValue(...) straight through).
        emit("ReconfigRequest-nulls", "joiningServers=null leavingServers=3 newMembers=null curConfigId=-1",
                new ReconfigRequest(null, "3", null, -1L));
        emit("SetDataResponse", STAT_DESC, new SetDataResponse(STAT));
        emit("GetSASLRequest", "token=\"sasl-token-1\"", new GetSASLRequest(utf8("sasl-token-1")));
        emit("SetSASLRequest", "token=\"sasl-token-2\"", new SetSASLRequest(utf8("sasl-token-2")));
        emit("SetSASLResponse", "token=\"sasl-token-3\"", new SetSASLResponse(utf8("sasl-token-3")));
        emit("SetSASLResponse-nullToken", "token=null", new SetSASLResponse(null));
        emit("CreateRequest", "path=/zabd/golden data=" + DATA_DESC + " acl=" + ACLS_DESC + " flags=3 (EPHEMERAL_SEQUENTIAL)",
                new CreateRequest(PATH, DATA, ACLS, 3));
        emit("CreateRequest-nullDataNullACL", "path=/zabd/golden data=null acl=null flags=0",
                new CreateRequest(PATH, null, null, 0));
        emit("CreateRequest-emptyDataEmptyACL", "path=/zabd/golden data=\"\" (empty) acl=[] flags=4 (CONTAINER)",
                new CreateRequest(PATH, new byte[0], new ArrayList<>(), 4));
        // BinaryOutputArchive.stringToByteBuffer encodes each UTF-16 unit on
        // its own: U+1F600 becomes the CESU-8 pair ED A0 BD ED B8 80, not the
        // UTF-8 F0 9F 98 80. Multi-byte BMP characters are plain UTF-8.
        emit("CreateRequest-nonASCII", "path=/zabd/\u00fc\u20ac\uD83D\uDE00 (U+00FC U+20AC U+1F600) data=null acl=[ACL{31 world:anyone}] flags=0",
                new CreateRequest("/zabd/\u00fc\u20ac\uD83D\uDE00", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, 0));
        emit("CreateTTLRequest", "path=/zabd/golden data=" + DATA_DESC + " acl=" + ACLS_DESC + " flags=5 ttl=86400000",
                new CreateTTLRequest(PATH, DATA, ACLS, 5, 86400000L));
        emit("DeleteRequest", "path=/zabd/golden version=-1", new DeleteRequest(PATH, -1));
        emit("GetChildrenRequest", "path=/zabd watch=false", new GetChildrenRequest("/zabd", false));
        emit("GetAllChildrenNumberRequest", "path=/zabd", new GetAllChildrenNumberRequest("/zabd"));
        emit("GetChildren2Request", "path=/zabd watch=true", new GetChildren2Request("/zabd", true));
        emit("CheckVersionRequest", "path=/zabd/golden version=42", new CheckVersionRequest(PATH, 42));
        emit("GetMaxChildrenRequest", "path=/zabd", new GetMaxChildrenRequest("/zabd"));
        emit("GetMaxChildrenResponse", "max=1000", new GetMaxChildrenResponse(1000));
        emit("SetMaxChildrenRequest", "path=/zabd max=1001", new SetMaxChildrenRequest("/zabd", 1001));
        emit("SyncRequest", "path=/zabd/sync", new SyncRequest("/zabd/sync"));
        emit("SyncResponse", "path=/zabd/synced", new SyncResponse("/zabd/synced"));
        emit("GetACLRequest", "path=/zabd/acl", new GetACLRequest("/zabd/acl"));
        emit("SetACLRequest", "path=/zabd/golden acl=" + ACLS_DESC + " version=5", new SetACLRequest(PATH, ACLS, 5));
        emit("SetACLResponse", STAT_DESC, new SetACLResponse(STAT));
        emit("AddWatchRequest", "path=/zabd mode=1 (PERSISTENT_RECURSIVE)", new AddWatchRequest("/zabd", 1));
        emit("WatcherEvent", "type=4 (NodeChildrenChanged) state=3 (SyncConnected) path=/zabd",
                new WatcherEvent(4, 3, "/zabd"));
        emit("ErrorResponse", "err=-101", new ErrorResponse(-101));
        emit("CreateResponse", "path=/zabd/golden0000000007", new CreateResponse(PATH + "0000000007"));
        emit("Create2Response", "path=/zabd/golden0000000008 stat=" + STAT_DESC,
                new Create2Response(PATH + "0000000008", STAT));
        emit("ExistsRequest", "path=/zabd/golden watch=true", new ExistsRequest(PATH, true));
        emit("ExistsResponse", STAT_DESC, new ExistsResponse(STAT));
        emit("GetDataResponse", "data=" + DATA_DESC + " stat=" + STAT_DESC, new GetDataResponse(DATA, STAT));
        emit("GetDataResponse-nullData", "data=null stat=" + STAT_DESC, new GetDataResponse(null, STAT));
        emit("GetDataResponse-emptyData", "data=\"\" (empty) stat=" + STAT_DESC, new GetDataResponse(new byte[0], STAT));
        emit("GetChildrenResponse", "children=[a b \u00fc]", new GetChildrenResponse(list("a", "b", "\u00fc")));
        emit("GetChildrenResponse-empty", "children=[]", new GetChildrenResponse(list()));
        emit("GetChildrenResponse-null", "children=null", new GetChildrenResponse(null));
        emit("GetAllChildrenNumberResponse", "totalNumber=12345", new GetAllChildrenNumberResponse(12345));
        emit("GetChildren2Response", "children=[x y] stat=" + STAT_DESC, new GetChildren2Response(list("x", "y"), STAT));
        emit("GetACLResponse", "acl=" + ACLS_DESC + " stat=" + STAT_DESC, new GetACLResponse(ACLS, STAT));
        emit("CheckWatchesRequest", "path=/zabd/golden type=2 (Data)", new CheckWatchesRequest(PATH, 2));
        emit("RemoveWatchesRequest", "path=/zabd/golden type=3 (Any)", new RemoveWatchesRequest(PATH, 3));
        emit("GetEphemeralsRequest", "prefixPath=/zabd", new GetEphemeralsRequest("/zabd"));
        emit("GetEphemeralsResponse", "ephemerals=[/zabd/e1 /zabd/e2]",
                new GetEphemeralsResponse(list("/zabd/e1", "/zabd/e2")));
        emit("WhoAmIResponse", "clientInfo=[{ip 127.0.0.1} {digest alice}]",
                new WhoAmIResponse(Arrays.asList(new ClientInfo("ip", "127.0.0.1"), new ClientInfo("digest", "alice"))));
        emit("WhoAmIResponse-empty", "clientInfo=[]", new WhoAmIResponse(new ArrayList<>()));
    }

    // ---- module txn ----

    static final TxnHeader TXN_HDR = new TxnHeader(SESSION, 7, 0x100000012L, 1700000000003L, ZooDefs.OpCode.create);
    static final String TXN_HDR_DESC = "clientId=0x7200000000abcdef cxid=7 zxid=0x100000012 time=1700000000003 type=1";

    static void txn() throws Exception {
        emit("TxnHeader", TXN_HDR_DESC, TXN_HDR);
        emit("TxnDigest", "version=2 treeDigest=0x123456789abcdef0", new TxnDigest(2, 0x123456789abcdef0L));
        emit("CreateTxnV0", "path=/zabd/golden data=" + DATA_DESC + " acl=" + ACLS_DESC + " ephemeral=true",
                new CreateTxnV0(PATH, DATA, ACLS, true));
        emit("CreateTxn", "path=/zabd/golden data=" + DATA_DESC + " acl=" + ACLS_DESC + " ephemeral=true parentCVersion=9",
                new CreateTxn(PATH, DATA, ACLS, true, 9));
        emit("CreateTxn-nullData", "path=/zabd/golden data=null acl=[ACL{31 world:anyone}] ephemeral=false parentCVersion=0",
                new CreateTxn(PATH, null, ZooDefs.Ids.OPEN_ACL_UNSAFE, false, 0));
        emit("CreateTTLTxn", "path=/zabd/golden data=" + DATA_DESC + " acl=" + ACLS_DESC + " parentCVersion=10 ttl=60000",
                new CreateTTLTxn(PATH, DATA, ACLS, 10, 60000L));
        emit("CreateContainerTxn", "path=/zabd/golden data=" + DATA_DESC + " acl=" + ACLS_DESC + " parentCVersion=11",
                new CreateContainerTxn(PATH, DATA, ACLS, 11));
        emit("DeleteTxn", "path=/zabd/golden", new DeleteTxn(PATH));
        emit("SetDataTxn", "path=/zabd/golden data=" + DATA_DESC + " version=12", new SetDataTxn(PATH, DATA, 12));
        emit("CheckVersionTxn", "path=/zabd/golden version=13", new CheckVersionTxn(PATH, 13));
        emit("SetACLTxn", "path=/zabd/golden acl=" + ACLS_DESC + " version=14", new SetACLTxn(PATH, ACLS, 14));
        emit("SetMaxChildrenTxn", "path=/zabd max=15", new SetMaxChildrenTxn("/zabd", 15));
        emit("CreateSessionTxn", "timeOut=30000", new CreateSessionTxn(30000));
        emit("CloseSessionTxn", "paths2Delete=[/zabd/e1 /zabd/e2]", new CloseSessionTxn(list("/zabd/e1", "/zabd/e2")));
        emit("CloseSessionTxn-empty", "paths2Delete=[]", new CloseSessionTxn(list()));
        emit("ErrorTxn", "err=-110 (NodeExists)", new ErrorTxn(-110));
        emit("Txn", "type=2 (delete) data=bytes of DeleteTxn{/zabd/golden}",
                new Txn(ZooDefs.OpCode.delete, ser(new DeleteTxn(PATH))));

        // MultiTxn as PrepRequestProcessor.pRequest2Txn builds it for a multi:
        // each sub-txn serialised on its own into Txn.data.
        emit("MultiTxn",
                "txns=[{1 CreateTxn{/zabd/m/a data=\"a\" acl=[ACL{31 world:anyone}] ephemeral=false parentCVersion=1}} "
                        + "{2 DeleteTxn{/zabd/m/b}} {5 SetDataTxn{/zabd/m data=\"c\" version=2}} {13 CheckVersionTxn{/zabd/m 2}}]",
                new MultiTxn(Arrays.asList(
                        new Txn(ZooDefs.OpCode.create, ser(new CreateTxn("/zabd/m/a", utf8("a"), ZooDefs.Ids.OPEN_ACL_UNSAFE, false, 1))),
                        new Txn(ZooDefs.OpCode.delete, ser(new DeleteTxn("/zabd/m/b"))),
                        new Txn(ZooDefs.OpCode.setData, ser(new SetDataTxn("/zabd/m", utf8("c"), 2))),
                        new Txn(ZooDefs.OpCode.check, ser(new CheckVersionTxn("/zabd/m", 2))))));
        // A failed multi: ops before the failure Ok, the failing op its
        // code, the rest RuntimeInconsistency; all as ErrorTxn.
        emit("MultiTxn-error", "txns=[{-1 ErrorTxn{0}} {-1 ErrorTxn{-101}} {-1 ErrorTxn{-2}}]",
                new MultiTxn(Arrays.asList(
                        new Txn(ZooDefs.OpCode.error, ser(new ErrorTxn(0))),
                        new Txn(ZooDefs.OpCode.error, ser(new ErrorTxn(-101))),
                        new Txn(ZooDefs.OpCode.error, ser(new ErrorTxn(-2))))));
    }

    // ---- server records (quorum, persistence) ----

    static void server() throws Exception {
        emit("LearnerInfo", "serverid=3 protocolVersion=0x10000 configVersion=0x100000000",
                new LearnerInfo(3, 0x10000, 0x100000000L));
        emit("QuorumPacket", "type=2 (PROPOSAL) zxid=0x100000012 data=TxnEntry-create bytes authinfo=null",
                new QuorumPacket(2, 0x100000012L, txnEntryCreate(), null));
        emit("QuorumPacket-ack", "type=3 (ACK) zxid=0x100000012 data=null authinfo=null",
                new QuorumPacket(3, 0x100000012L, null, null));
        emit("QuorumPacket-request",
                "type=1 (REQUEST) zxid=-1 data=\"req\" authinfo=[{digest alice:x} {ip 127.0.0.1}]",
                new QuorumPacket(1, -1L, utf8("req"),
                        Arrays.asList(new Id("digest", "alice:x"), new Id("ip", "127.0.0.1"))));
        emit("QuorumPacket-emptyAuth", "type=11 (FOLLOWERINFO) zxid=0x100000000 data=LearnerInfo{3 0x10000 -1} authinfo=[]",
                new QuorumPacket(11, 0x100000000L, ser(new LearnerInfo(3, 0x10000, -1L)), new ArrayList<>()));
        emit("QuorumAuthPacket", "magic=0x5a4b5155 status=1 token=\"qtoken\"",
                new QuorumAuthPacket(0x5a4b5155L, 1, utf8("qtoken")));
        emit("FileHeader", "magic=0x5a4b4c47 (ZKLG) version=2 dbid=0 (txn log)", new FileHeader(0x5a4b4c47, 2, 0L));
        emit("FileHeader-snapshot", "magic=0x5a4b534e (ZKSN) version=2 dbid=-1 (snapshot)",
                new FileHeader(0x5a4b534e, 2, -1L));
    }

    // ---- multi bodies (not jute records: MultiOperationRecord/MultiResponse) ----

    static void multi() throws Exception {
        MultiOperationRecord req = new MultiOperationRecord(Arrays.asList(
                Op.create("/zabd/m/a", utf8("a"), ZooDefs.Ids.OPEN_ACL_UNSAFE, 0),
                Op.delete("/zabd/m/b", 3),
                Op.setData("/zabd/m", utf8("c"), -1),
                Op.check("/zabd/m", 2)));
        emitRaw("MultiRequest", "org.apache.zookeeper.MultiOperationRecord",
                "ops=[create{/zabd/m/a data=\"a\" acl=[ACL{31 world:anyone}] flags=0} delete{/zabd/m/b 3} "
                        + "setData{/zabd/m data=\"c\" version=-1} check{/zabd/m 2}]",
                ser(req));
        MultiOperationRecord read = new MultiOperationRecord(Arrays.asList(
                Op.getChildren("/zabd"), Op.getData("/zabd/m")));
        emitRaw("MultiRequest-read", "org.apache.zookeeper.MultiOperationRecord",
                "ops=[getChildren{/zabd} getData{/zabd/m}] (multiRead)", ser(read));

        MultiResponse resp = new MultiResponse();
        resp.add(new OpResult.CreateResult("/zabd/m/a"));
        resp.add(new OpResult.CreateResult("/zabd/m/c0000000001", STAT));
        resp.add(new OpResult.DeleteResult());
        resp.add(new OpResult.SetDataResult(STAT));
        resp.add(new OpResult.CheckResult());
        emitRaw("MultiResponse", "org.apache.zookeeper.MultiResponse",
                "results=[CreateResult{/zabd/m/a} CreateResult{/zabd/m/c0000000001 " + STAT_DESC
                        + "} DeleteResult SetDataResult{" + STAT_DESC + "} CheckResult]",
                ser(resp));
        MultiResponse failed = new MultiResponse();
        failed.add(new OpResult.ErrorResult(0));
        failed.add(new OpResult.ErrorResult(-101));
        failed.add(new OpResult.ErrorResult(-2));
        emitRaw("MultiResponse-error", "org.apache.zookeeper.MultiResponse",
                "results=[ErrorResult{0} ErrorResult{-101} ErrorResult{-2}]", ser(failed));
        MultiResponse readResp = new MultiResponse();
        readResp.add(new OpResult.GetChildrenResult(list("a", "b")));
        readResp.add(new OpResult.GetDataResult(DATA, STAT));
        readResp.add(new OpResult.ErrorResult(-101));
        emitRaw("MultiResponse-read", "org.apache.zookeeper.MultiResponse",
                "results=[GetChildrenResult{[a b]} GetDataResult{" + DATA_DESC + " " + STAT_DESC + "} ErrorResult{-101}]",
                ser(readResp));
        emitRaw("MultiResponse-empty", "org.apache.zookeeper.MultiResponse", "results=[]", ser(new MultiResponse()));
    }

    // ---- whole packets as the client and server put them on the wire ----

    static byte[] txnEntryCreate() throws IOException {
        return Util.marshallTxnEntry(TXN_HDR,
                new CreateTxn(PATH, DATA, ACLS, true, 9), new TxnDigest(2, 0x123456789abcdef0L));
    }

    static void packets() throws Exception {
        emitRaw("TxnEntry-create", "Util.marshallTxnEntry",
                "TxnHeader{" + TXN_HDR_DESC + "} CreateTxn{/zabd/golden data=" + DATA_DESC + " acl=" + ACLS_DESC
                        + " ephemeral=true parentCVersion=9} TxnDigest{2 0x123456789abcdef0}",
                txnEntryCreate());
        emitRaw("TxnEntry-closeSession", "Util.marshallTxnEntry",
                "TxnHeader{clientId=0x7200000000abcdef cxid=0 zxid=0x100000013 time=1700000000004 type=-11} "
                        + "CloseSessionTxn{[/zabd/e1]} (no digest)",
                Util.marshallTxnEntry(new TxnHeader(SESSION, 0, 0x100000013L, 1700000000004L, ZooDefs.OpCode.closeSession),
                        new CloseSessionTxn(list("/zabd/e1"))));

        // The Java client's own framing: ClientCnxn.Packet.createBB, called
        // through reflection (Packet is package-private).
        emitRaw("Frame-ConnectRequest", "ClientCnxn.Packet.createBB",
                "len + ConnectRequest{protocolVersion=0 lastZxidSeen=0 timeOut=30000 sessionId=0 passwd=16 zero bytes} + readOnly=false",
                clientPacket(null, new ConnectRequest(0, 0, 30000, 0, new byte[16]), false));
        emitRaw("Frame-GetData", "ClientCnxn.Packet.createBB",
                "len + RequestHeader{xid=1 type=4} + GetDataRequest{/zabd/golden watch=true}",
                clientPacket(new RequestHeader(1, ZooDefs.OpCode.getData), new GetDataRequest(PATH, true), false));
        emitRaw("Frame-Ping", "ClientCnxn.Packet.createBB", "len + RequestHeader{xid=-2 type=11}",
                clientPacket(new RequestHeader(-2, ZooDefs.OpCode.ping), null, false));
        emitRaw("Frame-Multi", "ClientCnxn.Packet.createBB",
                "len + RequestHeader{xid=3 type=14} + MultiRequest (same ops as MultiRequest.hex)",
                clientPacket(new RequestHeader(3, ZooDefs.OpCode.multi), new MultiOperationRecord(Arrays.asList(
                        Op.create("/zabd/m/a", utf8("a"), ZooDefs.Ids.OPEN_ACL_UNSAFE, 0),
                        Op.delete("/zabd/m/b", 3),
                        Op.setData("/zabd/m", utf8("c"), -1),
                        Op.check("/zabd/m", 2))), false));

        // ZooKeeperServer.finishSessionInit (3.8.0): writeInt(-1,"len"),
        // rsp.serialize, writeBool(readOnly) unless isOldClient, then the
        // length is patched in.
        ByteArrayOutputStream baos = new ByteArrayOutputStream();
        BinaryOutputArchive bos = BinaryOutputArchive.getArchive(baos);
        bos.writeInt(-1, "len");
        new ConnectResponse(0, 20000, SESSION, passwd(SESSION)).serialize(bos, "connect");
        bos.writeBool(false, "readOnly");
        ByteBuffer bb = ByteBuffer.wrap(baos.toByteArray());
        bb.putInt(bb.remaining() - 4);
        emitRaw("Frame-ConnectResponse", "ZooKeeperServer.finishSessionInit",
                "len + ConnectResponse{protocolVersion=0 timeOut=20000 sessionId=0x7200000000abcdef "
                        + "passwd=generatePasswd(0x7200000000abcdef)} + readOnly=false",
                bb.array());
    }

    static byte[] clientPacket(RequestHeader h, Record r, boolean readOnly) throws Exception {
        Class<?> pc = Class.forName("org.apache.zookeeper.ClientCnxn$Packet");
        Class<?> wr = Class.forName("org.apache.zookeeper.ZooKeeper$WatchRegistration");
        Constructor<?> c = pc.getDeclaredConstructor(RequestHeader.class, ReplyHeader.class, Record.class,
                Record.class, wr, boolean.class);
        c.setAccessible(true);
        Object p = c.newInstance(h, new ReplyHeader(), r, null, null, readOnly);
        Method m = pc.getDeclaredMethod("createBB");
        m.setAccessible(true);
        m.invoke(p);
        Field f = pc.getDeclaredField("bb");
        f.setAccessible(true);
        ByteBuffer bb = (ByteBuffer) f.get(p);
        byte[] b = new byte[bb.remaining()];
        bb.get(b);
        return b;
    }

    // passwd calls the server's own ZooKeeperServer.generatePasswd.
    static byte[] passwd(long sessionId) throws Exception {
        Class<?> zks = Class.forName("org.apache.zookeeper.server.ZooKeeperServer");
        Object s = zks.getConstructor().newInstance();
        Method m = zks.getDeclaredMethod("generatePasswd", long.class);
        m.setAccessible(true);
        return (byte[]) m.invoke(s, sessionId);
    }

    // ---- helpers ----

    static List<String> list(String... s) {
        return new ArrayList<>(Arrays.asList(s));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] ser(Record r) throws IOException {
        ByteArrayOutputStream baos = new ByteArrayOutputStream();
        r.serialize(BinaryOutputArchive.getArchive(baos), "record");
        return baos.toByteArray();
    }

    static void emit(String name, String desc, Record r) throws IOException {
        emitRaw(name, r.getClass().getName(), desc, ser(r));
    }

    static void emitWithBool(String name, String desc, Record r, boolean v) throws IOException {
        ByteArrayOutputStream baos = new ByteArrayOutputStream();
        BinaryOutputArchive oa = BinaryOutputArchive.getArchive(baos);
        r.serialize(oa, "connect");
        oa.writeBool(v, "readOnly");
        emitRaw(name, r.getClass().getName(), desc, baos.toByteArray());
    }

    static void emitRaw(String name, String what, String desc, byte[] b) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# ZooKeeper ").append(Version.getFullVersion()).append(": ").append(what).append('\n');
        sb.append("# ").append(desc).append('\n');
        for (int i = 0; i < b.length; i++) {
            sb.append(String.format("%02x", b[i] & 0xff));
            if (i % 32 == 31 || i == b.length - 1) {
                sb.append('\n');
            }
        }
        Files.write(out.resolve(name + ".hex"), sb.toString().getBytes(StandardCharsets.UTF_8));
        count++;
    }
}
