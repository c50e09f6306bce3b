// Constants of the NBD wire protocol (fixed newstyle negotiation, simple replies), as described
// by the NBD protocol document (github.com/NetworkBlockDevice/nbd, doc/proto.md). All integers
// on the wire are big-endian. Only what the server in nbd_server.h speaks is listed, plus the
// option numbers it must recognise in order to refuse them properly.
#pragma once

#include <cstdint>

namespace loopsnap::nbd {

// Handshake
constexpr uint64_t kNbdMagic = 0x4e42444d41474943ULL;      // "NBDMAGIC"
constexpr uint64_t kIHaveOpt = 0x49484156454F5054ULL;      // "IHAVEOPT"
constexpr uint64_t kOptReplyMagic = 0x0003e889045565a9ULL;

// Server handshake flags (u16) and client flags (u32)
constexpr uint16_t kFlagFixedNewstyle = 1u << 0;
constexpr uint16_t kFlagNoZeroes = 1u << 1;
constexpr uint32_t kClientFlagFixedNewstyle = 1u << 0;
constexpr uint32_t kClientFlagNoZeroes = 1u << 1;

// Options
constexpr uint32_t kOptExportName = 1;
constexpr uint32_t kOptAbort = 2;
constexpr uint32_t kOptList = 3;
constexpr uint32_t kOptStartTls = 5;
constexpr uint32_t kOptInfo = 6;
constexpr uint32_t kOptGo = 7;
constexpr uint32_t kOptStructuredReply = 8;

// Option reply types
constexpr uint32_t kRepAck = 1;
constexpr uint32_t kRepServer = 2;
constexpr uint32_t kRepInfo = 3;
constexpr uint32_t kRepErrBit = 1u << 31;
constexpr uint32_t kRepErrUnsup = kRepErrBit | 1;
constexpr uint32_t kRepErrPolicy = kRepErrBit | 2;
constexpr uint32_t kRepErrInvalid = kRepErrBit | 3;
constexpr uint32_t kRepErrPlatform = kRepErrBit | 4;
constexpr uint32_t kRepErrTlsReqd = kRepErrBit | 5;
constexpr uint32_t kRepErrUnknown = kRepErrBit | 6;
constexpr uint32_t kRepErrShutdown = kRepErrBit | 7;
constexpr uint32_t kRepErrBlockSizeReqd = kRepErrBit | 8;
constexpr uint32_t kRepErrTooBig = kRepErrBit | 9;

// NBD_REP_INFO payload types
constexpr uint16_t kInfoExport = 0;
constexpr uint16_t kInfoName = 1;
constexpr uint16_t kInfoDescription = 2;
constexpr uint16_t kInfoBlockSize = 3;

// Transmission flags (u16)
constexpr uint16_t kFlagHasFlags = 1u << 0;
constexpr uint16_t kFlagReadOnly = 1u << 1;
constexpr uint16_t kFlagSendFlush = 1u << 2;
constexpr uint16_t kFlagSendFua = 1u << 3;
constexpr uint16_t kFlagRotational = 1u << 4;
constexpr uint16_t kFlagSendTrim = 1u << 5;
constexpr uint16_t kFlagSendWriteZeroes = 1u << 6;
constexpr uint16_t kFlagSendDf = 1u << 7;
constexpr uint16_t kFlagCanMultiConn = 1u << 8;

// Transmission phase
constexpr uint32_t kRequestMagic = 0x25609513u;
constexpr uint32_t kSimpleReplyMagic = 0x67446698u;
constexpr size_t kRequestHeaderBytes = 28;  // magic, flags, type, cookie, offset, length
constexpr size_t kSimpleReplyBytes = 16;    // magic, error, cookie

// Command flags (u16)
constexpr uint16_t kCmdFlagFua = 1u << 0;
constexpr uint16_t kCmdFlagNoHole = 1u << 1;
constexpr uint16_t kCmdFlagDf = 1u << 2;
constexpr uint16_t kCmdFlagReqOne = 1u << 3;
constexpr uint16_t kCmdFlagFastZero = 1u << 4;

// Commands (u16)
constexpr uint16_t kCmdRead = 0;
constexpr uint16_t kCmdWrite = 1;
constexpr uint16_t kCmdDisc = 2;
constexpr uint16_t kCmdFlush = 3;
constexpr uint16_t kCmdTrim = 4;
constexpr uint16_t kCmdCache = 5;
constexpr uint16_t kCmdWriteZeroes = 6;
constexpr uint16_t kCmdBlockStatus = 7;

// Error values in replies (the protocol fixes these numbers; they match Linux errno).
constexpr uint32_t kEPERM = 1;
constexpr uint32_t kEIO = 5;
constexpr uint32_t kENOMEM = 12;
constexpr uint32_t kEINVAL = 22;
constexpr uint32_t kENOSPC = 28;
constexpr uint32_t kEOVERFLOW = 75;
constexpr uint32_t kENOTSUP = 95;
constexpr uint32_t kESHUTDOWN = 108;

}  // namespace loopsnap::nbd
