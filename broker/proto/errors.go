package proto

import (
	"maps"
	"slices"
	"strconv"
)

// ErrorCode is a Kafka protocol error code. Zero is NONE.
type ErrorCode int16

// Kafka's error codes, by their protocol names. Only the codes this model produces or
// handles are listed; the numbers are Kafka's, so traces compare with real ones.
const (
	UNKNOWN_SERVER_ERROR             ErrorCode = -1
	NONE                             ErrorCode = 0
	OFFSET_OUT_OF_RANGE              ErrorCode = 1
	CORRUPT_MESSAGE                  ErrorCode = 2
	UNKNOWN_TOPIC_OR_PARTITION       ErrorCode = 3
	LEADER_NOT_AVAILABLE             ErrorCode = 5
	NOT_LEADER_OR_FOLLOWER           ErrorCode = 6
	REQUEST_TIMED_OUT                ErrorCode = 7
	BROKER_NOT_AVAILABLE             ErrorCode = 8
	REPLICA_NOT_AVAILABLE            ErrorCode = 9
	MESSAGE_TOO_LARGE                ErrorCode = 10
	NETWORK_EXCEPTION                ErrorCode = 13
	COORDINATOR_LOAD_IN_PROGRESS     ErrorCode = 14
	COORDINATOR_NOT_AVAILABLE        ErrorCode = 15
	NOT_COORDINATOR                  ErrorCode = 16
	INVALID_TOPIC_EXCEPTION          ErrorCode = 17
	RECORD_LIST_TOO_LARGE            ErrorCode = 18
	NOT_ENOUGH_REPLICAS              ErrorCode = 19
	NOT_ENOUGH_REPLICAS_AFTER_APPEND ErrorCode = 20
	INVALID_REQUIRED_ACKS            ErrorCode = 21
	ILLEGAL_GENERATION               ErrorCode = 22
	INCONSISTENT_GROUP_PROTOCOL      ErrorCode = 23
	INVALID_GROUP_ID                 ErrorCode = 24
	UNKNOWN_MEMBER_ID                ErrorCode = 25
	INVALID_SESSION_TIMEOUT          ErrorCode = 26
	REBALANCE_IN_PROGRESS            ErrorCode = 27
	INVALID_COMMIT_OFFSET_SIZE       ErrorCode = 28
	TOPIC_ALREADY_EXISTS             ErrorCode = 36
	INVALID_PARTITIONS               ErrorCode = 37
	INVALID_REPLICATION_FACTOR       ErrorCode = 38
	INVALID_REPLICA_ASSIGNMENT       ErrorCode = 39
	INVALID_CONFIG                   ErrorCode = 40
	NOT_CONTROLLER                   ErrorCode = 41
	INVALID_REQUEST                  ErrorCode = 42
	OUT_OF_ORDER_SEQUENCE_NUMBER     ErrorCode = 45
	DUPLICATE_SEQUENCE_NUMBER        ErrorCode = 46
	INVALID_PRODUCER_EPOCH           ErrorCode = 47
	KAFKA_STORAGE_ERROR              ErrorCode = 56
	UNKNOWN_PRODUCER_ID              ErrorCode = 59
	FENCED_LEADER_EPOCH              ErrorCode = 74
	UNKNOWN_LEADER_EPOCH             ErrorCode = 75
	STALE_BROKER_EPOCH               ErrorCode = 77
	OFFSET_NOT_AVAILABLE             ErrorCode = 78
	MEMBER_ID_REQUIRED               ErrorCode = 79
	GROUP_MAX_SIZE_REACHED           ErrorCode = 81
	ELIGIBLE_LEADERS_NOT_AVAILABLE   ErrorCode = 83
	INVALID_UPDATE_VERSION           ErrorCode = 95
	DUPLICATE_BROKER_REGISTRATION    ErrorCode = 101
	BROKER_ID_NOT_REGISTERED         ErrorCode = 102
	INELIGIBLE_REPLICA               ErrorCode = 107
)

type errorInfo struct {
	name      string
	retriable bool
}

// errorTable is the catalogue: name and whether Kafka's clients may retry the request
// (Kafka's RetriableException hierarchy).
var errorTable = map[ErrorCode]errorInfo{
	UNKNOWN_SERVER_ERROR:             {"UNKNOWN_SERVER_ERROR", false},
	NONE:                             {"NONE", false},
	OFFSET_OUT_OF_RANGE:              {"OFFSET_OUT_OF_RANGE", false},
	CORRUPT_MESSAGE:                  {"CORRUPT_MESSAGE", true},
	UNKNOWN_TOPIC_OR_PARTITION:       {"UNKNOWN_TOPIC_OR_PARTITION", true},
	LEADER_NOT_AVAILABLE:             {"LEADER_NOT_AVAILABLE", true},
	NOT_LEADER_OR_FOLLOWER:           {"NOT_LEADER_OR_FOLLOWER", true},
	REQUEST_TIMED_OUT:                {"REQUEST_TIMED_OUT", true},
	BROKER_NOT_AVAILABLE:             {"BROKER_NOT_AVAILABLE", true},
	REPLICA_NOT_AVAILABLE:            {"REPLICA_NOT_AVAILABLE", true},
	MESSAGE_TOO_LARGE:                {"MESSAGE_TOO_LARGE", false},
	NETWORK_EXCEPTION:                {"NETWORK_EXCEPTION", true},
	COORDINATOR_LOAD_IN_PROGRESS:     {"COORDINATOR_LOAD_IN_PROGRESS", true},
	COORDINATOR_NOT_AVAILABLE:        {"COORDINATOR_NOT_AVAILABLE", true},
	NOT_COORDINATOR:                  {"NOT_COORDINATOR", true},
	INVALID_TOPIC_EXCEPTION:          {"INVALID_TOPIC_EXCEPTION", false},
	RECORD_LIST_TOO_LARGE:            {"RECORD_LIST_TOO_LARGE", false},
	NOT_ENOUGH_REPLICAS:              {"NOT_ENOUGH_REPLICAS", true},
	NOT_ENOUGH_REPLICAS_AFTER_APPEND: {"NOT_ENOUGH_REPLICAS_AFTER_APPEND", true},
	INVALID_REQUIRED_ACKS:            {"INVALID_REQUIRED_ACKS", false},
	ILLEGAL_GENERATION:               {"ILLEGAL_GENERATION", false},
	INCONSISTENT_GROUP_PROTOCOL:      {"INCONSISTENT_GROUP_PROTOCOL", false},
	INVALID_GROUP_ID:                 {"INVALID_GROUP_ID", false},
	UNKNOWN_MEMBER_ID:                {"UNKNOWN_MEMBER_ID", false},
	INVALID_SESSION_TIMEOUT:          {"INVALID_SESSION_TIMEOUT", false},
	REBALANCE_IN_PROGRESS:            {"REBALANCE_IN_PROGRESS", false},
	INVALID_COMMIT_OFFSET_SIZE:       {"INVALID_COMMIT_OFFSET_SIZE", false},
	TOPIC_ALREADY_EXISTS:             {"TOPIC_ALREADY_EXISTS", false},
	INVALID_PARTITIONS:               {"INVALID_PARTITIONS", false},
	INVALID_REPLICATION_FACTOR:       {"INVALID_REPLICATION_FACTOR", false},
	INVALID_REPLICA_ASSIGNMENT:       {"INVALID_REPLICA_ASSIGNMENT", false},
	INVALID_CONFIG:                   {"INVALID_CONFIG", false},
	NOT_CONTROLLER:                   {"NOT_CONTROLLER", true},
	INVALID_REQUEST:                  {"INVALID_REQUEST", false},
	OUT_OF_ORDER_SEQUENCE_NUMBER:     {"OUT_OF_ORDER_SEQUENCE_NUMBER", false},
	DUPLICATE_SEQUENCE_NUMBER:        {"DUPLICATE_SEQUENCE_NUMBER", false},
	INVALID_PRODUCER_EPOCH:           {"INVALID_PRODUCER_EPOCH", false},
	KAFKA_STORAGE_ERROR:              {"KAFKA_STORAGE_ERROR", true},
	UNKNOWN_PRODUCER_ID:              {"UNKNOWN_PRODUCER_ID", false},
	FENCED_LEADER_EPOCH:              {"FENCED_LEADER_EPOCH", true},
	UNKNOWN_LEADER_EPOCH:             {"UNKNOWN_LEADER_EPOCH", true},
	STALE_BROKER_EPOCH:               {"STALE_BROKER_EPOCH", false},
	OFFSET_NOT_AVAILABLE:             {"OFFSET_NOT_AVAILABLE", true},
	MEMBER_ID_REQUIRED:               {"MEMBER_ID_REQUIRED", false},
	GROUP_MAX_SIZE_REACHED:           {"GROUP_MAX_SIZE_REACHED", false},
	ELIGIBLE_LEADERS_NOT_AVAILABLE:   {"ELIGIBLE_LEADERS_NOT_AVAILABLE", true},
	INVALID_UPDATE_VERSION:           {"INVALID_UPDATE_VERSION", false},
	DUPLICATE_BROKER_REGISTRATION:    {"DUPLICATE_BROKER_REGISTRATION", false},
	BROKER_ID_NOT_REGISTERED:         {"BROKER_ID_NOT_REGISTERED", false},
	INELIGIBLE_REPLICA:               {"INELIGIBLE_REPLICA", false},
}

// String is the error's Kafka name, such as NOT_LEADER_OR_FOLLOWER.
func (e ErrorCode) String() string {
	if info, ok := errorTable[e]; ok {
		return info.name
	}
	return "ERROR_" + strconv.Itoa(int(e))
}

// Retriable reports whether Kafka's clients treat the error as transient.
func (e ErrorCode) Retriable() bool { return errorTable[e].retriable }

// Known reports whether the code is in the catalogue.
func (e ErrorCode) Known() bool {
	_, ok := errorTable[e]
	return ok
}

// ErrorCodes lists every catalogued code in numeric order.
func ErrorCodes() []ErrorCode {
	return slices.Sorted(maps.Keys(errorTable))
}

// ErrorCodeByName finds a code by its Kafka name.
func ErrorCodeByName(name string) (ErrorCode, bool) {
	for c, info := range errorTable {
		if info.name == name {
			return c, true
		}
	}
	return 0, false
}
