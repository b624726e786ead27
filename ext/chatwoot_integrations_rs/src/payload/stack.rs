//! Whether the machine stack has room for one more level of the walk.
//!
//! The walk recurses once per Hash or Array: measured on x86_64 (release build, Ruby 3.1), 1,008
//! bytes of stack per Hash level (`rb_hash_foreach`'s frames included) and 256 per Array level. A
//! payload 10,000 levels deep would need some 10 MB: more than a Ruby thread has (1 MiB by
//! default, `RubyVM::DEFAULT_PARAMS[:thread_machine_stack_size]`, 128 KiB at the least), than a
//! Fiber has (512 KiB) and than the main thread has (8 MiB). Past the end, the SIGSEGV would be
//! caught by Ruby's handler, which raises SystemStackError by jumping over the Rust frames:
//! undefined behaviour.
//!
//! Ruby knows the bounds of the stack its caller runs on (a thread's, or a Fiber's own), and
//! `ruby_stack_check` answers whether its caller is within 16 KiB (2048 words) of the line where
//! Ruby raises SystemStackError itself. Not much more is there below that line: measured, a walk
//! without this check crashes 31 KiB past it in a Fiber and 35 KiB past it on a thread.
//!
//! The walk asks again each time it has gone [`STEP`] bytes deeper than where it last asked (a
//! typical webhook body is asked once or twice: per level, the price is comparing two addresses),
//! and asks from [`HEADROOM`] bytes below its own frame, so it stops with a SerializationError while
//! those STEP bytes, a level and the call into Ruby that level may make (`to_s`, `as_json`) still fit
//! above Ruby's line: that call never meets Ruby's own check first.
//!
//! (Stacks grow down on every platform the gem builds for, as the address arithmetic assumes.)

use std::hint::black_box;
use std::mem::MaybeUninit;

/// How much deeper the walk goes before it asks again.
const STEP: usize = 4 * 1024;

/// How far below the asking frame the stack is checked: STEP, plus what a level needs to reach
/// Ruby's own check (measured: within 2 KiB when it calls `as_json`, within 4 KiB when a `to_s` calls
/// `Payload.dump` again; with less headroom Ruby's SystemStackError comes first, see
/// spec/security/deep_nesting_spec.rb), plus 4 KiB to spare. It must stay well under the stack there
/// is below Ruby's line (above): this much is touched before the answer is known.
const HEADROOM: usize = STEP + 8 * 1024;

/// The stack check of one walk (one stack: the walk never moves to another).
pub struct StackCheck {
    /// The address below which the stack is to be checked again.
    next: usize,
}

impl Default for StackCheck {
    fn default() -> Self {
        // The first level asks: the caller may be deep in its stack already.
        StackCheck { next: usize::MAX }
    }
}

impl StackCheck {
    /// Whether the stack is too low to enter another level.
    #[inline]
    pub fn exhausted(&mut self) -> bool {
        let probe = 0u8;
        let here = black_box(&probe) as *const u8 as usize;
        if here > self.next {
            return false;
        }
        if ruby_line_within_headroom() {
            return true;
        }
        self.next = here.saturating_sub(STEP);
        false
    }
}

/// Asks Ruby from HEADROOM bytes further down: this frame reserves them and never writes them
/// (black_box keeps the reservation; the calls after it keep the frame alive around the check).
#[inline(never)]
fn ruby_line_within_headroom() -> bool {
    let headroom = MaybeUninit::<[u8; HEADROOM]>::uninit();
    black_box(&headroom);
    // SAFETY: called with the GVL held, from a method Ruby called on this thread (or Fiber), whose
    // stack bounds Ruby has recorded; the function only compares addresses.
    let low = unsafe { rb_sys::ruby_stack_check() } != 0;
    black_box(&headroom);
    low
}
