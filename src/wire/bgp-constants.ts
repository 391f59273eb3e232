/**
 * BGP registry numbers shared by the message codec (bgp-message.ts) and the UPDATE codec
 * (bgp-update.ts): message types, AFI/SAFI, NOTIFICATION codes and subcodes, capability codes.
 * A module of its own so the two codecs do not import each other.
 */

export const BGP_PORT = 179;
export const BGP_HEADER_LENGTH = 19;
export const BGP_MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654: the maximum once both sides advertised the Extended Message capability. */
export const BGP_EXTENDED_MAX_MESSAGE_LENGTH = 65535;

export const BGP_MSG_OPEN = 1;
export const BGP_MSG_UPDATE = 2;
export const BGP_MSG_NOTIFICATION = 3;
export const BGP_MSG_KEEPALIVE = 4;
export const BGP_MSG_ROUTE_REFRESH = 5;

export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export const AFI_L2VPN = 25;
export const SAFI_UNICAST = 1;
export const SAFI_MULTICAST = 2;
export const SAFI_EVPN = 70;
/** RFC 4684 §4: route target membership (route target constraint), with AFI 1. */
export const SAFI_RT_CONSTRAINT = 132;

// RFC 4271 §4.5 error codes; RFC 6608 (FSM subcodes); RFC 7313 (ROUTE-REFRESH).
export const BGP_ERR_MESSAGE_HEADER = 1;
export const BGP_ERR_OPEN_MESSAGE = 2;
export const BGP_ERR_UPDATE_MESSAGE = 3;
export const BGP_ERR_HOLD_TIMER_EXPIRED = 4;
export const BGP_ERR_FSM = 5;
export const BGP_ERR_CEASE = 6;
export const BGP_ERR_ROUTE_REFRESH = 7;

// RFC 4271 §6.1 Message Header Error subcodes.
export const HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED = 1;
export const HEADER_ERR_BAD_MESSAGE_LENGTH = 2;
export const HEADER_ERR_BAD_MESSAGE_TYPE = 3;

// RFC 4271 §6.2 OPEN Message Error subcodes (0: unspecific); RFC 5492 (7); RFC 9234 (11).
export const OPEN_ERR_UNSPECIFIC = 0;
export const OPEN_ERR_UNSUPPORTED_VERSION = 1;
export const OPEN_ERR_BAD_PEER_AS = 2;
export const OPEN_ERR_BAD_BGP_IDENTIFIER = 3;
export const OPEN_ERR_UNSUPPORTED_OPTIONAL_PARAMETER = 4;
export const OPEN_ERR_UNACCEPTABLE_HOLD_TIME = 6;
export const OPEN_ERR_UNSUPPORTED_CAPABILITY = 7;
export const OPEN_ERR_ROLE_MISMATCH = 11;

// RFC 4271 §6.3 UPDATE Message Error subcodes.
export const UPDATE_ERR_MALFORMED_ATTRIBUTE_LIST = 1;
export const UPDATE_ERR_UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE = 2;
export const UPDATE_ERR_MISSING_WELL_KNOWN_ATTRIBUTE = 3;
export const UPDATE_ERR_ATTRIBUTE_FLAGS = 4;
export const UPDATE_ERR_ATTRIBUTE_LENGTH = 5;
export const UPDATE_ERR_INVALID_ORIGIN_ATTRIBUTE = 6;
/** Deprecated by RFC 4271 (kept for names in logs). */
export const UPDATE_ERR_AS_ROUTING_LOOP = 7;
export const UPDATE_ERR_INVALID_NEXT_HOP_ATTRIBUTE = 8;
export const UPDATE_ERR_OPTIONAL_ATTRIBUTE = 9;
export const UPDATE_ERR_INVALID_NETWORK_FIELD = 10;
export const UPDATE_ERR_MALFORMED_AS_PATH = 11;

// RFC 6608 FSM Error subcodes.
export const FSM_ERR_UNSPECIFIED = 0;
export const FSM_ERR_UNEXPECTED_IN_OPEN_SENT = 1;
export const FSM_ERR_UNEXPECTED_IN_OPEN_CONFIRM = 2;
export const FSM_ERR_UNEXPECTED_IN_ESTABLISHED = 3;

// RFC 4486 Cease subcodes; RFC 8538 (9).
export const CEASE_MAX_PREFIXES = 1;
export const CEASE_ADMINISTRATIVE_SHUTDOWN = 2;
export const CEASE_PEER_DECONFIGURED = 3;
export const CEASE_ADMINISTRATIVE_RESET = 4;
export const CEASE_CONNECTION_REJECTED = 5;
export const CEASE_OTHER_CONFIGURATION_CHANGE = 6;
export const CEASE_CONNECTION_COLLISION_RESOLUTION = 7;
export const CEASE_OUT_OF_RESOURCES = 8;
export const CEASE_HARD_RESET = 9;

// RFC 7313 §5 ROUTE-REFRESH Message Error subcode.
export const ROUTE_REFRESH_ERR_INVALID_MESSAGE_LENGTH = 1;

// RFC 7313 §3.2 ROUTE-REFRESH message subtypes.
export const ROUTE_REFRESH_NORMAL = 0;
export const ROUTE_REFRESH_BORR = 1;
export const ROUTE_REFRESH_EORR = 2;

/** RFC 5492 §4: optional parameter type 2 carries capabilities. */
export const OPEN_PARAM_CAPABILITIES = 2;
/** RFC 9072 §2: Non-Ext OP Type marking the extended optional parameters length encoding. */
export const OPEN_PARAM_EXTENDED_LENGTH = 255;

export const CAP_MULTIPROTOCOL = 1;
export const CAP_ROUTE_REFRESH = 2;
export const CAP_EXTENDED_MESSAGE = 6;
export const CAP_GRACEFUL_RESTART = 64;
export const CAP_FOUR_OCTET_AS = 65;
export const CAP_ADD_PATH = 69;
export const CAP_ENHANCED_ROUTE_REFRESH = 70;
export const CAP_FQDN = 73;
